"""The staff and admin web console (Starlette): pages over the same `TicketDesk`."""
