"""Staff members (part of `TicketStore`)."""

from __future__ import annotations

from bot.actions import telegram_id
from bot.store.backend import Connection, fetchall, fetchone
from bot.store.clock import now_iso
from bot.tickets.model import Role, StaffMember


class StaffMixin:
    """Who is staff, with which role and department."""

    conn: Connection

    async def add_staff(self, member: StaffMember) -> None:
        """Register or update a staff member."""
        await self.conn.execute(
            "INSERT INTO staff (user_id, role, dept, name, added_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET role = excluded.role, dept = excluded.dept, "
            "name = excluded.name",
            (member.user_id, member.role.value, member.dept, member.name, now_iso()),
        )

    async def remove_staff(self, user_id: int) -> bool:
        """Remove a staff member; return whether there was one."""
        cur = await self.conn.execute("DELETE FROM staff WHERE user_id = ?", (user_id,))
        return bool(cur.rowcount)

    async def staff(self) -> list[StaffMember]:
        """Every staff member."""
        rows = await fetchall(
            self.conn, "SELECT user_id, role, dept, name FROM staff ORDER BY user_id"
        )
        return [StaffMember(int(r[0]), Role(r[1]), r[2], r[3]) for r in rows]

    async def staff_member(self, user_key: str) -> StaffMember | None:
        """The staff member behind a user key (`tg:<id>`), if any."""
        user_id = telegram_id(user_key)
        if user_id is None:
            return None
        r = await fetchone(
            self.conn, "SELECT user_id, role, dept, name FROM staff WHERE user_id = ?", (user_id,)
        )
        return StaffMember(int(r[0]), Role(r[1]), r[2], r[3]) if r else None
