"""Engagement's domain errors (stable codes, shared/API.md "Engagement")."""

from __future__ import annotations

from innkeeper.kit.errors import Conflict, NotFound


class ReviewNotAllowed(Conflict):
    code = "review.not_allowed"
    title = "This booking cannot be reviewed"


class ReviewNotFound(NotFound):
    code = "review.not_found"
    title = "No such review"


class AlreadyModerated(Conflict):
    code = "review.already_moderated"
    title = "The review already has this status"


class ReplyNotAllowed(Conflict):
    code = "review.reply_not_allowed"
    title = "The review cannot be replied to"


class InsufficientPoints(Conflict):
    code = "loyalty.insufficient_points"
    title = "Not enough loyalty points"
