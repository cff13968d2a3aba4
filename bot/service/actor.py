"""Who is acting: every use-case is told, for permission checks and the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.enums import Channel, Role


@dataclass(frozen=True, slots=True)
class Actor:
    person_id: int | None  # None for the system and for the command line
    name: str
    role: Role
    label: str  # how the audit log names them: "slack:U123", "telegram:4567", "cli", "system"
    channel: Channel

    @classmethod
    def cli(cls) -> Actor:
        """Someone at the server's command line: trusted like an admin."""
        return cls(None, "command line", Role.ADMIN, "cli", Channel.CLI)

    @classmethod
    def system(cls) -> Actor:
        return cls(None, "tierbot", Role.ADMIN, "system", Channel.SYSTEM)
