"""The web chat channel: citizens chat from a county portal or WeChat's browser at /chat."""
