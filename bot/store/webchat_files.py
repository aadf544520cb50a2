"""The web chat's files (bot/webchat/upload.py): what was stored on disk, for whom."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.backend import Connection, fetchall, fetchone
from bot.store.clock import now_iso

_COLUMNS = "id, visitor, client_id, stored_name, content_type, size, name"


@dataclass(frozen=True)
class ChatFile:
    """A file a visitor sent: its row, its random name on disk, its sniffed type."""

    id: int
    visitor: str
    client_id: str
    stored_name: str
    content_type: str
    size: int
    name: str | None


def _file(row: tuple[object, ...]) -> ChatFile:
    name = row[6]
    return ChatFile(
        int(str(row[0])),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        int(str(row[5])),
        None if name is None else str(name),
    )


class WebChatFilesSQL:
    """Rows of `webchat_files`, on the store's connection."""

    def __init__(self, conn: Connection):
        self.conn = conn

    async def add(
        self,
        visitor: str,
        client_id: str,
        stored_name: str,
        content_type: str,
        size: int,
        name: str | None,
    ) -> int | None:
        """Record a stored file (in the caller's transaction); None if this upload id was
        seen before for this visitor."""
        row = await fetchone(
            self.conn,
            "INSERT INTO webchat_files "
            "(visitor, client_id, stored_name, content_type, size, name, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (visitor, client_id) DO NOTHING "
            "RETURNING id",
            (visitor, client_id, stored_name, content_type, size, name, now_iso()),
        )
        return None if row is None else int(row[0])

    async def by_id(self, file_id: int) -> ChatFile | None:
        """The file with this id, if any."""
        row = await fetchone(
            self.conn, f"SELECT {_COLUMNS} FROM webchat_files WHERE id = ?", (file_id,)
        )
        return None if row is None else _file(tuple(row))

    async def stored_names(self) -> set[str]:
        """The names on disk that a row still names (every other file may go)."""
        rows = await fetchall(self.conn, "SELECT stored_name FROM webchat_files")
        return {str(r[0]) for r in rows}

    async def by_client_id(self, visitor: str, client_id: str) -> ChatFile | None:
        """The visitor's file of this upload id (a retried upload), if any."""
        row = await fetchone(
            self.conn,
            f"SELECT {_COLUMNS} FROM webchat_files WHERE visitor = ? AND client_id = ?",
            (visitor, client_id),
        )
        return None if row is None else _file(tuple(row))
