"""依申请公开: information-disclosure requests (《政府信息公开条例》 2019, 国务院令第711号)."""
