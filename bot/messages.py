"""The message catalogue: every user-facing string, in zh (default) and en."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT = "zh"

CATALOGUE: dict[str, dict[str, str]] = {
    "greeting": {
        "zh": "您好！我是{centre}的办事咨询助手。",
        "en": "Hello! I am the enquiry assistant of {centre}.",
    },
    "capabilities": {
        "zh": (
            "我可以：\n• 回答办事指南问题（条件、材料、流程、时限、收费、地点）\n"
            "• 受理投诉、举报和问题反映\n• 查询您的工单进度\n• 帮您联系工作人员\n"
            "直接用自己的话提问就行，比如“低保怎么申请”。"
        ),
        "en": (
            "I can:\n• answer questions about services (eligibility, documents, steps, time, "
            "fees, where)\n• take complaints and reports\n• tell you how your case is going\n"
            "• put you in touch with a staff member\n"
            'Just ask in your own words, e.g. "How do I apply for dibao?"'
        ),
    },
    "thanks_reply": {
        "zh": "不客气！还有其他问题随时问我。",
        "en": "You're welcome! Ask me anything else at any time.",
    },
    "clarify": {"zh": "您是想问下面哪一项？", "en": "Did you mean one of these?"},
    "clarify_none_of_these": {"zh": "都不是", "en": "None of these"},
    "none": {
        "zh": (
            "抱歉，这个问题我没有找到可靠的答案，不想随便回答误导您。"
            "您可以换个说法再问，或者联系工作人员，也可以提出投诉或反映问题。"
        ),
        "en": (
            "Sorry, I could not find a reliable answer to that, and I would rather not guess. "
            "You can rephrase the question, contact a staff member, or file a complaint."
        ),
    },
    "none_contact": {
        "zh": "咨询电话：{phones}",
        "en": "Phone: {phones}",
    },
    "empty_message": {
        "zh": "请输入您的问题，比如“低保怎么申请”。",
        "en": 'Please type your question, e.g. "How do I apply for dibao?"',
    },
    "no_text": {
        "zh": "请用文字输入您的问题，我暂时看不懂图片、语音和表情。",
        "en": "Please type your question as text; I cannot read pictures, voice or stickers.",
    },
    "too_long": {
        "zh": "您的消息比较长，我先按前{limit}个字理解。",
        "en": "Your message is long; I read its first {limit} characters.",
    },
    "button_browse": {"zh": "办事指南", "en": "Service guides"},
    "button_complain": {"zh": "我要投诉", "en": "Make a complaint"},
    "button_status": {"zh": "查询进度", "en": "Check progress"},
    "button_human": {"zh": "联系人工", "en": "Talk to a person"},
    "button_more": {"zh": "下一页", "en": "Next page"},
    "button_back": {"zh": "上一页", "en": "Previous page"},
    "related": {"zh": "相关事项：", "en": "Related:"},
    "browse_categories": {"zh": "请选择类别：", "en": "Choose a category:"},
    "browse_entries": {"zh": "{category}：请选择事项", "en": "{category}: choose a service"},
    "browse_empty": {"zh": "知识库里暂时没有事项。", "en": "There are no services yet."},
    "category_other": {"zh": "其他", "en": "Other"},
    "complaint_pending": {
        "zh": (
            "您要投诉或反映问题。线上受理功能正在建设中，目前还不能在这里登记工单。"
            "请按下面的方式投诉，我们保证有人处理："
        ),
        "en": (
            "You want to make a complaint or report a problem. Filing it here is not "
            "available yet, so nothing has been recorded. Please use one of these channels:"
        ),
    },
    "status_pending": {
        "zh": "工单查询功能正在建设中，暂时查不到工单{ticket}。请拨打下面的电话询问办理进度：",
        "en": "Ticket lookup is not available yet, so I cannot find {ticket}. "
        "Please call to ask about its progress:",
    },
    "human_pending": {
        "zh": (
            "在线转人工功能正在建设中，目前不能把对话转给工作人员。"
            "请在工作时间拨打电话或到窗口办理："
        ),
        "en": "Handing the chat to a person is not available yet. "
        "Please call during office hours or visit the centre:",
    },
    "slow_down": {
        "zh": "您发消息太快了，请稍等一会儿再发。这段时间的消息我先不处理。",
        "en": "You are sending messages too fast. Please wait a moment; "
        "I will not handle messages until then.",
    },
    "lang_switched": {"zh": "已切换为中文。", "en": "Switched to English."},
    "lang_unknown": {
        "zh": "不支持该语言。可用：/lang zh 或 /lang en",
        "en": "Unknown language. Use /lang zh or /lang en",
    },
    "help": {
        "zh": (
            "直接输入问题即可。命令：\n/help 帮助\n/lang en|zh 切换语言\n"
            "/services 浏览办事指南\n/quit 退出（终端）"
        ),
        "en": (
            "Just type your question. Commands:\n/help this help\n/lang en|zh switch language\n"
            "/services browse service guides\n/quit leave (terminal)"
        ),
    },
    "unknown_command": {
        "zh": "没有这个命令。输入 /help 查看可用命令。",
        "en": "Unknown command. Type /help to see what I can do.",
    },
    "expired": {
        "zh": "这个菜单已过期，请重新提问或输入 /services。",
        "en": "This menu has expired. Please ask again or type /services.",
    },
    "choose_number": {
        "zh": "请输入选项前的数字。",
        "en": "Type the number of an option.",
    },
    "feedback_question": {"zh": "这个回答有帮助吗？", "en": "Was this answer helpful?"},
    "feedback_thanks": {"zh": "谢谢您的反馈！", "en": "Thank you for your feedback!"},
    "field_summary": {"zh": "概述", "en": "Summary"},
    "field_conditions": {"zh": "办理条件", "en": "Who can apply"},
    "field_materials": {"zh": "所需材料", "en": "Documents needed"},
    "field_steps": {"zh": "办理流程", "en": "Steps"},
    "field_time_limit": {"zh": "办理时限", "en": "Time limit"},
    "field_fee": {"zh": "收费标准", "en": "Fee"},
    "field_location": {"zh": "办理地点", "en": "Where"},
    "field_hours": {"zh": "办公时间", "en": "Office hours"},
    "field_phone": {"zh": "咨询电话", "en": "Phone"},
    "field_online": {"zh": "网上办理", "en": "Online"},
    "field_basis": {"zh": "办理依据", "en": "Legal basis"},
    "supervision": {"zh": "监督电话：{phone}", "en": "Supervision phone: {phone}"},
    "hotline_12345": {
        "zh": "12345 政务服务便民热线（24小时）",
        "en": "12345 government service hotline (24 hours)",
    },
    "centre_address": {"zh": "地址：{address}", "en": "Address: {address}"},
    "centre_hours": {"zh": "办公时间：{hours}", "en": "Office hours: {hours}"},
    "bye": {"zh": "再见！", "en": "Goodbye!"},
}


def t(key: str, lang: str, **values: Any) -> str:
    """Return the catalogue string `key` in `lang` (falling back to zh), formatted."""
    texts = CATALOGUE[key]
    text = texts.get(lang) or texts[DEFAULT]
    return text.format(**values) if values else text


def supported(lang: str) -> str:
    """Map a language code (zh-hans, en-GB…) to a supported language."""
    code = lang.lower().split("-")[0].split("_")[0]
    return code if code in LANGUAGES else ("zh" if code.startswith("zh") else "en")
