from __future__ import annotations

from innkeeper.kit.errors import AppError, Conflict, NotFound, Unauthorized, ValidationFailed


class EmailTaken(Conflict):
    code = "identity.email_taken"
    title = "E-mail address already registered"


class PhoneTaken(Conflict):
    code = "identity.phone_taken"
    title = "Phone number already registered"


class InvalidCredentials(Unauthorized):
    code = "identity.invalid_credentials"
    title = "Invalid e-mail or password"
    keep_changes = True  # the failed attempt is counted


class InvalidOtp(Unauthorized):
    code = "identity.otp_invalid"
    title = "Invalid or expired code"
    keep_changes = True  # the wrong try is counted


class InvalidToken(Unauthorized):
    code = "identity.token_invalid"
    title = "Invalid or expired token"


class RefreshReused(Unauthorized):
    code = "identity.refresh_reused"
    title = "Refresh token already used; the session has been revoked"
    keep_changes = True  # the revocation must stick


class WeakPassword(ValidationFailed):
    code = "identity.weak_password"
    title = "Password does not meet the policy"


class AccountDisabled(AppError):
    status = 403
    code = "identity.account_disabled"
    title = "Account disabled"


class InvitationNotFound(NotFound):
    code = "invitation.not_found"
    title = "No such invitation"


class InvitationClosed(Conflict):
    code = "invitation.not_pending"
    title = "The invitation was already answered, revoked, or has expired"


class InvitationLinkRequired(AppError):
    status = 403
    code = "invitation.link_required"
    title = "Open the link in the invitation e-mail to answer it"


class AlreadyMember(Conflict):
    code = "invitation.already_member"
    title = "Already a member of this property"
