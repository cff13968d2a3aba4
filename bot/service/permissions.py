"""Who may do what. Reasons are stable codes the templates translate."""

from __future__ import annotations

from bot.service.actor import Actor
from bot.service.errors import PermissionDenied
from bot.store.enums import Role

_MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})


def require_manager(actor: Actor) -> None:
    if actor.role not in _MANAGERS:
        raise PermissionDenied("managers_only")


def require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied("admins_only")


def may_edit(actor: Actor, owner_id: int | None, *, reps_update_all: bool) -> bool:
    """:func:`require_editor` as a question."""
    try:
        require_editor(actor, owner_id, reps_update_all=reps_update_all)
    except PermissionDenied:
        return False
    return True


def require_editor(actor: Actor, owner_id: int | None, *, reps_update_all: bool) -> None:
    """Reps edit their own accounts (or all, when configured); managers and admins edit any."""
    if actor.role in _MANAGERS or reps_update_all:
        return
    if owner_id is None or owner_id != actor.person_id:
        raise PermissionDenied("not_owner")
