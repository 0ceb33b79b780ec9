from __future__ import annotations

from innkeeper.kit.errors import AppError, Conflict, NotFound


class PropertyNotFound(NotFound):
    code = "property.not_found"
    title = "No such property"


class SlugTaken(Conflict):
    code = "property.slug_taken"
    title = "Slug already in use"


class NotReady(Conflict):
    code = "property.not_ready"
    title = "The property cannot be activated yet"


class RoomNotFound(NotFound):
    code = "room.not_found"
    title = "No such room"


class DuplicateCode(Conflict):
    code = "room_type.code_taken"
    title = "Room type code already used at this property"


class DuplicateRoom(Conflict):
    code = "room.number_taken"
    title = "Room number already used at this property"


class MemberNotFound(NotFound):
    code = "member.not_found"
    title = "No such member"


class UserNotFound(NotFound):
    code = "member.user_not_found"
    title = "No user with this e-mail address"


class MemberExists(Conflict):
    code = "member.exists"
    title = "Already a member of this property"


class LastOwner(Conflict):
    code = "member.last_owner"
    title = "A property keeps at least one owner"


class ImageNotFound(NotFound):
    code = "image.not_found"
    title = "No such image"


class BadImage(AppError):
    status = 422
    code = "image.invalid"
    title = "Not an accepted image"


class RoomTypeNotFound(NotFound):
    code = "room_type.not_found"
    title = "No such room type"


# -- hourly resources ------------------------------------------------------------------------------------


class ResourceNotFound(NotFound):
    code = "resource.not_found"
    title = "No such resource"


class AddonNotFound(NotFound):
    code = "addon.not_found"
    title = "No such add-on"


class AddonCodeTaken(Conflict):
    code = "addon.code_taken"
    title = "Add-on code already used for this resource"


class ResourceInvalid(AppError):
    status = 422
    code = "resource.invalid"
    title = "Invalid resource settings"


class NotAProfessional(AppError):
    status = 422
    code = "resource.user_not_professional"
    title = "No professional with this e-mail address works here"


# -- deletion ----------------------------------------------------------------------------------------------


class HasFutureBookings(Conflict):
    """Raised by the bookings guard (``bookings.catalog_guards``) on the catalog's deletion events; the
    problem carries ``bookings``, how many active future bookings stand in the way."""

    code = "catalog.has_future_bookings"
    title = "Active future bookings depend on it"
