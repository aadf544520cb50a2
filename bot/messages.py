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
    "internal_error": {
        "zh": "抱歉，处理您的消息时出了问题，工作人员会查看原因。请稍后再试，或点“联系人工”。",
        "en": (
            "Sorry, something went wrong with your message and staff will look into it. "
            'Please try again later, or choose "Talk to a person".'
        ),
    },
    "too_long": {
        "zh": "您的消息比较长，我先按前{limit}个字理解。",
        "en": "Your message is long; I read its first {limit} characters.",
    },
    # --- kb doctor (bot/doctor.py, docs/matching.md) ---
    "doctor_title": {
        "zh": "知识库体检：{entries} 个事项，用 {probes} 个备选问法做留出测试（分 {folds} 折，每次隐去一折）",
        "en": (
            "Knowledge base check-up: {entries} entries, {probes} alternate questions held out "
            "({folds} folds, one hidden at a time)"
        ),
    },
    "doctor_rates": {
        "zh": "预计：直接答对 {right}，有帮助（答对或选项中有）{helpful}，答错 {wrong}",
        "en": "Expected: answered right {right}, helpful (right or among the choices) {helpful}, answered wrong {wrong}",
    },
    "doctor_nothing": {"zh": "无", "en": "none"},
    "doctor_more": {"zh": "……另有 {count} 项", "en": "… and {count} more"},
    "doctor_confused": {
        "zh": "容易混淆的事项（{count} 对）：",
        "en": "Entries taken for each other ({count} pairs):",
    },
    "doctor_confused_row": {
        "zh": "{entry} 被当成 {other}（{count} 次），例：{example}",
        "en": "{entry} taken for {other} ({count}×), e.g. {example}",
    },
    "doctor_confused_advice": {
        "zh": "给前一个事项补充带有其独有说法的备选问法和关键词，并检查两个事项的问法是否重复",
        "en": (
            "add alternate questions and keywords in the first entry's own words, and check the "
            "two entries do not share phrasings"
        ),
    },
    "doctor_weak": {
        "zh": "不易答对的事项（{count} 个，留出问法答对不到一半）：",
        "en": "Entries seldom answered right ({count}; under half of their held-out questions):",
    },
    "doctor_weak_row": {
        "zh": "{entry}：答对 {right}（{count} 个问法）",
        "en": "{entry}: right {right} ({count} questions)",
    },
    "doctor_weak_advice": {
        "zh": "按群众的口语多写几种问法（方言词、错别字、长句），把最关键的词设为关键词",
        "en": (
            "add more alternate questions the way citizens write (colloquial words, typos, long "
            "messages) and make the telling words keywords"
        ),
    },
    "doctor_few": {
        "zh": "备选问法太少的事项（{count} 项）：",
        "en": "Entries with too few alternate questions ({count}):",
    },
    "doctor_few_row": {
        "zh": "{entry}（{lang_code}）：{count} 个，建议至少 {want} 个",
        "en": "{entry} ({lang_code}): {count}, at least {want} advised",
    },
    "doctor_few_advice": {
        "zh": "每个事项每种语言写 4–8 个不同说法的问法：问条件、材料、地点、多久、多少钱",
        "en": (
            "write 4–8 differently worded questions per entry and language: who qualifies, "
            "documents, where, how long, how much"
        ),
    },
    "doctor_similar": {
        "zh": "几乎重复的备选问法（{count} 对）：",
        "en": "Near-duplicate alternate questions ({count} pairs):",
    },
    "doctor_similar_row": {"zh": "{entry}：“{a}” ≈ “{b}”", "en": "{entry}: “{a}” ≈ “{b}”"},
    "doctor_similar_advice": {
        "zh": "重复的问法不增加覆盖面，换成用词不同的问法",
        "en": "a repeated phrasing adds nothing; replace it with one in other words",
    },
    "doctor_shared": {
        "zh": "多个事项共用的关键词（{count} 个）：",
        "en": "Keywords shared by many entries ({count}):",
    },
    "doctor_shared_row": {
        "zh": "“{keyword}”：{count} 个事项（{entries}）",
        "en": "“{keyword}”: {count} entries ({entries})",
    },
    "doctor_shared_advice": {
        "zh": "共用的关键词分不开这些事项，只保留在最相关的事项上，或换成更具体的词",
        "en": "a shared keyword does not tell these entries apart: keep it on the most fitting one or use more specific words",
    },
    # --- triage (bot/triage.py, docs/triage.md) ---
    "triage_emergency": {
        "zh": "这可能是紧急情况！请马上拨打 {numbers}。",
        "en": "This may be an emergency! Call {numbers} now.",
    },
    "triage_call_fire": {
        "zh": "火警 119：着火、燃气泄漏、有人被困、有人落水",
        "en": "Fire 119: fire, gas leak, someone trapped or in the water",
    },
    "triage_call_traffic": {
        "zh": "交通事故 122：说清路名和方向；有人受伤同时拨打 120",
        "en": "Traffic accidents 122: give the road and direction; if anyone is hurt, call 120 too",
    },
    "triage_call_police": {
        "zh": "报警 110：打架、行凶、盗窃抢劫、有人走失、有人想轻生（心理援助热线 12356）",
        "en": (
            "Police 110: fights, attacks, theft or robbery, a missing person, someone in danger"
            " of taking their own life (mental health helpline 12356)"
        ),
    },
    "triage_call_medical": {
        "zh": "急救 120：有人受伤、昏迷叫不醒、中毒（含煤气中毒）、突发急病",
        "en": "Ambulance 120: injuries, someone unconscious, poisoning (carbon monoxide too), sudden illness",
    },
    "triage_safety": {
        "zh": (
            "先保证自己的安全，说清在哪里（村、路口、门牌）、发生了什么、有没有人受伤。"
            "这里不能代替报警，工作人员不会马上看到，请不要在这里等待。"
        ),
        "en": (
            "Keep yourself safe first. Say where you are (village, crossroads, house number), "
            "what happened and whether anyone is hurt. This chat cannot replace an emergency "
            "call and staff will not see it at once: please do not wait for a reply here."
        ),
    },
    "triage_all_numbers": {
        "zh": "紧急电话：火警 119 · 报警 110 · 急救 120 · 交通事故 122",
        "en": "Emergency numbers: fire 119 · police 110 · ambulance 120 · traffic accidents 122",
    },
    "triage_not_emergency": {
        "zh": "不是紧急情况？可以反映问题，或联系工作人员。",
        "en": "Not an emergency? You can report a problem or talk to a staff member.",
    },
    "triage_doubt": {
        "zh": "如果现在有人有危险，请马上拨打 {numbers}（{what}）。",
        "en": "If anyone is in danger right now, call {numbers} ({what}).",
    },
    "triage_form_kept": {
        "zh": "您正在填写的内容已保存，稍后可以接着填写，或发送 /cancel 取消。",
        "en": "What you have filled in so far is kept: carry on later, or send /cancel to drop it.",
    },
    "triage_channel_way_on": {
        "zh": "如果还有别的情况想反映，或需要工作人员帮您联系，请选择：",
        "en": "If there is something else to report, or you would like a staff member to help, choose:",
    },
    "triage_service_fire": {"zh": "火警", "en": "fire"},
    "triage_service_traffic": {"zh": "交通事故", "en": "traffic accidents"},
    "triage_service_police": {"zh": "报警", "en": "police"},
    "triage_service_medical": {"zh": "急救", "en": "ambulance"},
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
    # --- flood control (bot/flood.py) ---
    "flood_held": {
        "zh": "您一下子发了好几条消息，我会按顺序逐条回复，请稍等。",
        "en": "You sent several messages at once. I will answer each of them in order; "
        "please wait a moment.",
    },
    "flood_dropped": {
        "zh": "消息太多，我一时处理不过来：刚才后面几条没有处理，请过一会儿再发一次。",
        "en": "Too many messages at once: I could not handle the last few. "
        "Please send them again in a little while.",
    },
    "lang_switched": {"zh": "已切换为中文。", "en": "Switched to English."},
    "lang_unknown": {
        "zh": "不支持该语言。可用：/lang zh 或 /lang en",
        "en": "Unknown language. Use /lang zh or /lang en",
    },
    "help_intro": {"zh": "直接输入问题即可。命令：", "en": "Just type your question. Commands:"},
    "command_start": {"zh": "开始 / 主菜单", "en": "Start / main menu"},
    "command_help": {"zh": "帮助（本列表）", "en": "This help"},
    "command_services": {"zh": "浏览办事指南", "en": "Browse service guides"},
    "command_complain": {"zh": "投诉、举报、反映问题", "en": "File a complaint or report"},
    "command_status": {
        "zh": "查询我的诉求进度（可加工单号）",
        "en": "The progress of my requests (optionally a ticket number)",
    },
    "command_human": {"zh": "转人工", "en": "Talk to a staff member"},
    "command_cancel": {"zh": "取消正在填写的表单", "en": "Cancel the form in progress"},
    "command_skip": {"zh": "跳过可选的一步", "en": "Skip an optional step"},
    "command_mydata": {"zh": "导出我的个人数据", "en": "Export my personal data"},
    "command_forget": {"zh": "删除我的个人数据", "en": "Erase my personal data"},
    "command_lang": {
        "zh": "切换语言：/lang en 或 /lang zh",
        "en": "switch language: /lang en or /lang zh",
    },
    "command_disclose": {"zh": "申请政府信息公开", "en": "Request government information"},
    "command_quit": {"zh": "退出", "en": "Leave"},
    "unknown_command": {
        "zh": "没有这个命令。输入 /help 查看可用命令。",
        "en": "Unknown command. Type /help to see what I can do.",
    },
    "expired": {
        "zh": "这个菜单已过期，请重新提问或输入 /services。",
        "en": "This menu has expired. Please ask again or type /services.",
    },
    "bare_number": {
        "zh": "没有看懂这个数字。请点按下面的按钮，或者直接输入您的问题。",
        "en": "I did not understand that number. Please press a button below, or type your question.",
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
    # Stands for masked personal data (a name, a number, an address) in admin tools.
    "masked": {"zh": "[已隐去]", "en": "[masked]"},
}

TICKET_MESSAGES: dict[str, dict[str, str]] = {
    "ticket_filed": {
        "zh": "已受理。工单号：{number}。承诺在 {deadline} 前（{days}个工作日内）办结，办理结果会在这里告诉您。发送 /status 可随时查看进度。",
        "en": "Received. Your ticket number is {number}. We commit to an answer by {deadline} (within {days} working days) and will send the outcome here. Send /status to follow it.",
    },
    "ticket_staff_reply": {
        "zh": "关于工单 {number}，工作人员回复：\n{text}",
        "en": "About ticket {number}, a staff member replies:\n{text}",
    },
    "ticket_outcome": {
        "zh": "工单 {number} 已办理完毕。办理结果：\n{outcome}\n请您对办理结果进行评价：",
        "en": "Ticket {number} has been handled. Outcome:\n{outcome}\nPlease rate the outcome:",
    },
    "ticket_outcome_again": {
        "zh": "工单 {number} 已重新办理完毕。办理结果：\n{outcome}\n请您再次评价（追评）：",
        "en": "Ticket {number} has been handled again. Outcome:\n{outcome}\nPlease rate it once more:",
    },
    "ticket_rejected": {
        "zh": "工单 {number} 不予受理。原因和办理渠道：{reason}",
        "en": "Ticket {number} cannot be accepted here. Reason and where to go instead: {reason}",
    },
    "ticket_merged": {
        "zh": "您反映的问题与工单 {target} 是同一件事，已合并办理，办理结果会一并告诉您。",
        "en": "Your report is about the same matter as ticket {target}; they are handled together and you will get the outcome.",
    },
    "ticket_merged_outcome": {
        "zh": "您的工单 {number} 已与 {target} 合并办理。办理结果：\n{outcome}",
        "en": "Your ticket {number} was handled together with {target}. Outcome:\n{outcome}",
    },
    "ticket_extended": {
        "zh": "工单 {number} 的办结时限延长至 {deadline}。原因：{reason}",
        "en": "The deadline of ticket {number} is extended to {deadline}. Reason: {reason}",
    },
    "ticket_reopened": {
        "zh": "收到您的评价。工单 {number} 已重新办理（重办），新的办结时限：{deadline}，并已报告督办负责人。",
        "en": "Thank you. Ticket {number} has been reopened for rework; new deadline: {deadline}. A supervisor has been told.",
    },
    "ticket_rated": {
        "zh": "谢谢您的评价，工单 {number} 已办结。如需补充意见，请直接回复文字；不需要请发送 /skip。",
        "en": "Thank you for rating. Ticket {number} is closed. To add a comment, just reply; otherwise send /skip.",
    },
    "ticket_comment_skipped": {
        "zh": "好的，不填写意见了。感谢您的评价！",
        "en": "All right, no comment. Thank you for your rating!",
    },
    "form_cannot_skip": {
        "zh": "这一步不能跳过，请按下面的提示操作。",
        "en": "This step cannot be skipped; please follow the prompt below.",
    },
    "rating_not_yours": {
        "zh": "这个评价菜单已失效，或者不是您的诉求。发送 /status 可查看您自己的诉求。",
        "en": "This rating menu has expired or is not for your request. Send /status to see your own requests.",
    },
    "feedback_sorry": {
        "zh": "抱歉没能帮上忙。您可以转人工，由工作人员答复您；如果遇到了问题，也可以直接投诉反映。",
        "en": "Sorry that did not help. A staff member can answer you, or you can file a complaint.",
    },
    "choose_number": {
        "zh": "请回复选项前的数字（{numbers}）来选择，或者直接输入您的问题。",
        "en": "Please reply with the number of an option ({numbers}), or just type your question.",
    },
    "ticket_comment_thanks": {
        "zh": "已记录您的意见，谢谢！",
        "en": "Your comment is recorded. Thank you!",
    },
    "ticket_not_found": {
        "zh": "没有找到工单 {number}。请核对工单号，您只能查询自己的工单。",
        "en": "Ticket {number} was not found. Check the number; you can only see your own tickets.",
    },
    "ticket_not_ratable": {
        "zh": "工单 {number} 现在不能评价。",
        "en": "Ticket {number} cannot be rated now.",
    },
    "ticket_closed": {
        "zh": "工单 {number} 已结束（{status}），不能再操作。",
        "en": "Ticket {number} is finished ({status}); nothing more can be done on it.",
    },
    "ticket_not_allowed": {
        "zh": "工单 {number} 处于“{status}”状态，不能执行“{action}”。",
        "en": "Ticket {number} is {status}: {action} is not allowed.",
    },
    "ticket_bad_department": {
        "zh": "没有这个部门：{dept}。",
        "en": "Unknown department: {dept}.",
    },
    "ticket_bad_category": {"zh": "没有这个投诉类别。", "en": "Unknown complaint category."},
    "ticket_merge_self": {"zh": "不能合并到自身。", "en": "A ticket cannot be merged into itself."},
    "ticket_supervisor_only": {
        "zh": "只有督办负责人可以这样做。",
        "en": "Only a supervisor can do this.",
    },
    "ticket_bad_days": {
        "zh": "延期天数必须是 1 到 120 之间的整数。",
        "en": "An extension is 1 to 120 working days.",
    },
    "staff_card_title": {"zh": "【{kind}】{number}", "en": "[{kind}] {number}"},
    "staff_assigned": {
        "zh": "工单 {number} 已派给您办理。发送 /ticket {number} 查看。",
        "en": "Ticket {number} was assigned to you. Send /ticket {number}.",
    },
    "staff_reminder": {
        "zh": "提醒：工单 {number} 将于 {deadline} 到期，请抓紧办理。",
        "en": "Reminder: ticket {number} is due on {deadline}.",
    },
    "staff_overdue": {
        "zh": "【督办】工单 {number} 已超过办结时限 {deadline}，承办：{who}。",
        "en": "[Overdue] Ticket {number} passed its deadline {deadline}; handled by {who}.",
    },
    "staff_reopened": {
        "zh": "【差评重办】工单 {number} 评价为“{rating}”，已重办，新时限 {deadline}。",
        "en": "[Reopened] Ticket {number} was rated {rating}; reopened, new deadline {deadline}.",
    },
    "staff_done": {"zh": "已完成：{number}（{status}）", "en": "Done: {number} ({status})"},
    "staff_done_due": {
        "zh": "已完成：{number}（{status}），期限 {deadline}",
        "en": "Done: {number} ({status}), due {deadline}",
    },
    "disclosure_none_open": {"zh": "没有在办的政府信息公开申请。", "en": "no open requests"},
    "staff_usage": {
        "zh": "用法：{usage}",
        "en": "Usage: {usage}",
    },
    "staff_reject_how": {
        "zh": "请发送 /reject {number} 理由（写明不予受理的原因和正确的办理渠道）。",
        "en": "Send /reject {number} followed by the reason and the right channel.",
    },
    "staff_assign_choose": {
        "zh": "把工单 {number} 派给哪个部门？",
        "en": "Assign ticket {number} to which department?",
    },
    "staff_reply_sent": {
        "zh": "已把您的回复发给群众（工单 {number}）。",
        "en": "Your reply was sent to the citizen (ticket {number}).",
    },
    "staff_undeliverable": {
        "zh": "注意：有{count}条消息无法送达群众（对方已屏蔽机器人），请电话联系。",
        "en": "Note: {count} messages could not be delivered (the citizen blocked the bot); call them.",
    },
    "staff_marked_kb": {
        "zh": "已标记：工单 {number} 的问答会出现在 citizen-desk kb gaps 报告的草稿条目中。",
        "en": "Marked: ticket {number}'s question and answer will appear as a draft entry in citizen-desk kb gaps.",
    },
    "ticket_not_kb_candidate": {
        "zh": "只有已答复的咨询工单可以加入知识库（工单 {number} 不是）。",
        "en": "Only an answered inquiry can go to the knowledge base (ticket {number} is not).",
    },
    "kind_complaint": {"zh": "投诉", "en": "Complaint"},
    "kind_report": {"zh": "举报", "en": "Report"},
    "kind_inquiry": {"zh": "咨询", "en": "Question"},
    "identity_hidden": {
        "zh": "（举报人身份受保护，督办负责人可用 /reveal 查看）",
        "en": "(reporter protected; a supervisor may /reveal)",
    },
    "identity_anonymous": {
        "zh": "（举报人选择完全匿名，联系方式不向任何人显示）",
        "en": "(the reporter chose full anonymity: the contact is shown to nobody)",
    },
    "internal_mark": {"zh": "[内部] ", "en": "[internal] "},
    "button_claim": {"zh": "认领", "en": "Claim"},
    "button_assign": {"zh": "派单", "en": "Assign"},
    "button_reject": {"zh": "退回", "en": "Reject"},
    "label_category": {"zh": "类别", "en": "Category"},
    "label_department": {"zh": "承办部门", "en": "Department"},
    "label_status": {"zh": "状态", "en": "Status"},
    "label_deadline": {"zh": "办结时限", "en": "Deadline"},
    "label_description": {"zh": "内容", "en": "What happened"},
    "label_location": {"zh": "地点", "en": "Where"},
    "label_time": {"zh": "时间", "en": "When"},
    "label_attachments": {"zh": "附件", "en": "Attachments"},
    "label_contact": {"zh": "联系人", "en": "Contact"},
    "label_phone": {"zh": "联系电话", "en": "Phone"},
    "label_anonymous": {"zh": "匿名", "en": "Anonymous"},
    "label_outcome": {"zh": "办理结果", "en": "Outcome"},
    "label_timeline": {"zh": "办理过程：", "en": "Timeline:"},
    "status_received": {"zh": "已受理", "en": "received"},
    "status_assigned": {"zh": "已派单", "en": "assigned"},
    "status_in_progress": {"zh": "办理中", "en": "in progress"},
    "status_answered": {"zh": "已答复", "en": "answered"},
    "status_closed": {"zh": "已办结", "en": "closed"},
    "status_rejected": {"zh": "不予受理", "en": "not accepted"},
    "status_reopened": {"zh": "重办中", "en": "reopened"},
    "status_merged": {"zh": "已合并", "en": "merged"},
    "status_overdue_suffix": {
        "zh": "（已超期，已报督办）",
        "en": " (overdue — escalated to a supervisor)",
    },
    "status_none": {
        "zh": "您还没有工单。要投诉或反映问题，请发送 /complain。",
        "en": "You have no tickets yet. To make a complaint, send /complain.",
    },
    "status_list_title": {"zh": "您的工单：", "en": "Your tickets:"},
    "status_line": {
        "zh": "• {number} {category} {status}{deadline}",
        "en": "• {number} {category} {status}{deadline}",
    },
    "status_line_due": {"zh": " 时限 {deadline}", "en": ", due {deadline}"},
    "status_detail_title": {"zh": "工单 {number}", "en": "Ticket {number}"},
    "event_file": {"zh": "受理", "en": "received"},
    "event_claim": {"zh": "认领", "en": "claimed"},
    "event_assign": {"zh": "派单", "en": "assigned"},
    "event_transfer": {"zh": "转办", "en": "transferred"},
    "event_reply": {"zh": "工作人员回复", "en": "staff replied"},
    "event_note": {"zh": "备注", "en": "note"},
    "event_resolve": {"zh": "答复办理结果", "en": "outcome sent"},
    "event_reject": {"zh": "不予受理", "en": "not accepted"},
    "event_merge": {"zh": "合并到", "en": "merged into"},
    "event_extend": {"zh": "延期", "en": "extended"},
    "event_rate": {"zh": "评价并办结", "en": "rated and closed"},
    "event_reopen": {"zh": "不满意，重办", "en": "not satisfied: reopened"},
    "event_close": {"zh": "超过评价期限，自动办结", "en": "closed without a rating"},
    "event_remind": {"zh": "到期提醒", "en": "reminder"},
    "event_escalate": {"zh": "超期督办", "en": "overdue: escalated"},
    "event_reveal": {
        "zh": "督办负责人查看举报人身份",
        "en": "reporter identity revealed to a supervisor",
    },
    "rating_5": {"zh": "非常满意", "en": "Very satisfied"},
    "rating_4": {"zh": "满意", "en": "Satisfied"},
    "rating_3": {"zh": "基本满意", "en": "Fairly satisfied"},
    "rating_2": {"zh": "不满意", "en": "Dissatisfied"},
    "rating_1": {"zh": "非常不满意", "en": "Very dissatisfied"},
    "form_category": {"zh": "请选择问题类别：", "en": "What is it about? Choose a category:"},
    "form_description": {
        "zh": "请描述发生了什么（至少10个字），越具体越好。随时发送 /cancel 可取消。",
        "en": "Please describe what happened (at least 10 characters). Send /cancel at any time to stop.",
    },
    "form_description_short": {
        "zh": "描述太短了，请至少写10个字，说清楚发生了什么。",
        "en": "That is too short; please write at least 10 characters about what happened.",
    },
    "form_location": {
        "zh": "在哪里发生的？请输入地点，或发送位置。不清楚可点“跳过”。",
        "en": "Where did it happen? Type the place or send a location, or press Skip.",
    },
    "form_time": {
        "zh": "什么时候发生的？（例如：昨天上午、11月20日）可点“跳过”。",
        "en": "When did it happen? (e.g. yesterday morning, 20 November) You can skip this.",
    },
    "form_attachments": {
        "zh": "可以发送照片或文件作为证据（最多5个，每个不超过{mb}MB）。发完后点“完成”，没有就点“跳过”。",
        "en": "You can send photos or files as evidence (up to 5, {mb} MB each). Press Done when finished, or Skip.",
    },
    "form_attachment_added": {
        "zh": "已收到第{count}个附件。可继续发送，或点“完成”。",
        "en": "Attachment {count} received. Send more or press Done.",
    },
    "form_attachment_limit": {
        "zh": "最多5个附件，已经够了。请点“完成”。",
        "en": "That is the maximum of 5 attachments. Press Done.",
    },
    "form_attachment_too_big": {
        "zh": "这个文件太大了（超过{mb}MB），没有收下。",
        "en": "That file is over {mb} MB and was not accepted.",
    },
    "form_phone": {
        "zh": "留个手机号方便工作人员联系您吗？（11位手机号）不想留可点“跳过”。",
        "en": "A mobile number so staff can call you? (11 digits, mainland) Or press Skip.",
    },
    "form_phone_bad": {
        "zh": "这不像手机号（应为1开头的11位数字），请重新输入或点“跳过”。",
        "en": "That does not look like a mainland mobile number (11 digits starting with 1). Try again or Skip.",
    },
    "form_anonymous": {
        "zh": "举报人身份默认保密。是否完全匿名（工作人员看不到您的联系方式）？",
        "en": "Reporters are protected by default. Do you want to stay fully anonymous (staff never see your contact)?",
    },
    "form_summary": {
        "zh": "请核对您要提交的内容：",
        "en": "Please check what you are about to submit:",
    },
    "form_edit_which": {"zh": "要修改哪一项？", "en": "What do you want to change?"},
    "form_cancelled": {
        "zh": "已取消，没有提交任何内容。",
        "en": "Cancelled; nothing was submitted.",
    },
    "form_choose_button": {
        "zh": "请点击上面的按钮选择，或发送 /cancel 取消。",
        "en": "Please use the buttons above, or send /cancel.",
    },
    "form_resumed": {
        "zh": "我们接着填刚才的表：",
        "en": "Let's continue where you left off:",
    },
    "button_skip": {"zh": "跳过", "en": "Skip"},
    "button_done": {"zh": "完成", "en": "Done"},
    "button_confirm": {"zh": "确认提交", "en": "Submit"},
    "button_edit": {"zh": "修改", "en": "Change"},
    "button_cancel": {"zh": "取消", "en": "Cancel"},
    "button_yes_anonymous": {"zh": "匿名", "en": "Anonymous"},
    "button_no_anonymous": {"zh": "不匿名", "en": "Not anonymous"},
    "inquiry_ask": {
        "zh": "请写下您想咨询的问题，工作人员会在{days}个工作日内答复您。发送 /cancel 取消。",
        "en": "Please write your question; a staff member will answer within {days} working days. Send /cancel to stop.",
    },
    "mydata_confirm": {
        "zh": "要导出我们保存的关于您的全部信息（工单、提问、评价）吗？会以文件形式发给您。",
        "en": "Export everything we keep about you (tickets, questions, ratings) as a file?",
    },
    "forget_confirm": {
        "zh": "确定要删除您的个人信息吗？您的提问记录和工单中的个人信息（描述、地点、电话、附件）将被删除，工单本身会匿名保留用于统计。此操作不能撤销。",
        "en": "Erase your personal data? Your questions and the personal parts of your tickets (description, place, phone, attachments) are deleted; the tickets stay, anonymised, for the statistics. This cannot be undone.",
    },
    "reload_started": {
        "zh": "正在重新加载知识库，完成后会把结果发给管理员。",
        "en": "Reloading the knowledge base; the admins get the result when it is done.",
    },
    "review_none": {
        "zh": "知识复核：没有超过复核日期（review_by）的条目。",
        "en": "Knowledge review: no entry is past its review_by date.",
    },
    "review_due": {
        "zh": "知识复核：{entries}已超过复核日期（review_by），请核对后更新：",
        "en": "Knowledge review: {entries} past their review_by date; please check and update:",
    },
    "review_entry": {
        "zh": "• {id}（复核日期 {date}）{source}",
        "en": "• {id} (review by {date}) {source}",
    },
    "private_only": {
        "zh": "这项操作涉及个人信息，请在和我的私聊中使用。",
        "en": "This involves personal data: please use it in a private chat with me.",
    },
    "mydata_ready": {
        "zh": "这是我们保存的关于您的全部信息。",
        "en": "Here is everything we keep about you.",
    },
    "forget_done": {
        "zh": "已删除您的个人信息，{tickets}个工单已匿名化。",
        "en": "Your personal data is erased; {tickets} tickets were anonymised.",
    },
    "button_mydata": {"zh": "确认导出", "en": "Export"},
    "button_forget": {"zh": "确认删除", "en": "Erase"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "none_given": {"zh": "（未填写）", "en": "(none)"},
}
CATALOGUE.update(TICKET_MESSAGES)

#: The yearly report's strings (bot/report.py).
REPORT_MESSAGES: dict[str, dict[str, str]] = {
    "title_year": {
        "zh": "{centre} {year} 年政务服务数据",
        "en": "{centre}: service figures {year}",
    },
    "title_month": {
        "zh": "{centre} {year} 年 {month} 月政务服务数据",
        "en": "{centre}: service figures {month_name} {year}",
    },
    "summary": {"zh": "主要指标", "en": "Key figures"},
    "metric": {"zh": "指标", "en": "Figure"},
    "value": {"zh": "数值", "en": "Value"},
    "count": {"zh": "数量", "en": "Count"},
    "share": {"zh": "占比", "en": "Share"},
    "questions": {"zh": "咨询", "en": "Questions"},
    "q_total": {"zh": "咨询总量（条）", "en": "Questions asked"},
    "q_served": {
        "zh": "获得解答（含澄清后选择）",
        "en": "Answers given (incl. picked clarifications)",
    },
    "q_served_rate": {"zh": "解答率", "en": "Answer rate"},
    "route_answer": {"zh": "直接解答", "en": "Answered directly"},
    "route_clarify": {"zh": "追问澄清", "en": "Clarified"},
    "route_none": {"zh": "未能解答", "en": "Not answered"},
    "route_complaint": {"zh": "投诉/反映", "en": "Complaints"},
    "route_status": {"zh": "查询进度", "en": "Status enquiries"},
    "route_human": {"zh": "转人工", "en": "Asked for staff"},
    "route_greeting": {"zh": "问候/闲聊", "en": "Greetings"},
    "route_other": {"zh": "其他", "en": "Other"},
    "routes": {"zh": "咨询分流", "en": "Questions by route"},
    "route": {"zh": "分流", "en": "Route"},
    "by_kb_category": {"zh": "解答按事项类别", "en": "Answers by service category"},
    "category": {"zh": "类别", "en": "Category"},
    "top_entries": {"zh": "解答最多的事项（前 {n} 项）", "en": "Most answered guides (top {n})"},
    "entry": {"zh": "事项", "en": "Guide"},
    "gaps": {
        "zh": "未能解答的咨询（按相近事项）",
        "en": "Unanswered questions by nearest guide",
    },
    "gap_topic": {"zh": "相近事项", "en": "Nearest guide"},
    "gap_no_guide": {
        "zh": "无相近事项（知识库暂未涵盖）",
        "en": "No guide close enough (not in the knowledge base)",
    },
    "tickets": {"zh": "工单（投诉、举报、咨询）", "en": "Tickets (complaints, reports, inquiries)"},
    "t_received": {"zh": "受理工单（件）", "en": "Tickets received"},
    "t_closed": {"zh": "已办结", "en": "Closed"},
    "t_answered": {"zh": "已答复待评价", "en": "Answered, awaiting rating"},
    "t_open": {"zh": "办理中", "en": "In progress"},
    "t_rejected": {"zh": "不予受理", "en": "Rejected"},
    "t_merged": {"zh": "合并办理", "en": "Merged"},
    "t_extended": {"zh": "延期", "en": "Extended"},
    "t_reopened": {"zh": "重办", "en": "Reopened (rework)"},
    "t_overdue": {"zh": "超期（督办）", "en": "Overdue (escalated)"},
    "t_finished": {"zh": "本期办结/答复（件）", "en": "Finished in the period"},
    "t_on_time_rate": {"zh": "按期办结率", "en": "On-time rate"},
    "t_median": {"zh": "办理时长中位数（工作日）", "en": "Median handling time (working days)"},
    "t_p90": {
        "zh": "办理时长 90 分位（工作日）",
        "en": "90th percentile handling time (working days)",
    },
    "by_ticket_category": {"zh": "工单按类别", "en": "Tickets by category"},
    "by_department": {"zh": "工单按承办部门", "en": "Tickets by department"},
    "department": {"zh": "部门", "en": "Department"},
    "satisfaction": {"zh": "满意度", "en": "Satisfaction"},
    "s_rated": {"zh": "已评价工单（件）", "en": "Tickets rated"},
    "s_rate": {"zh": "满意率", "en": "Satisfaction rate"},
    "s_bad_first": {"zh": "首次差评（不满意/非常不满意）", "en": "First ratings 2 or 1 (差评)"},
    "s_reworked": {"zh": "差评后重办", "en": "Reworked after 差评"},
    "s_followup_rated": {"zh": "重办后追评", "en": "追评 after rework"},
    "s_followup_rate": {"zh": "追评满意率", "en": "追评 satisfaction rate"},
    "level": {"zh": "评价", "en": "Rating"},
    "followup": {"zh": "差评重办后的追评", "en": "追评 after rework"},
    "monthly": {"zh": "月度数据（全年）", "en": "Month by month (whole year)"},
    "month": {"zh": "月份", "en": "Month"},
    "m_questions": {"zh": "咨询", "en": "Questions"},
    "m_tickets": {"zh": "工单", "en": "Tickets"},
    "chart_volume": {"zh": "每月咨询与工单数量", "en": "Questions and tickets per month"},
    "chart_rates": {
        "zh": "每月按期办结率与满意率",
        "en": "On-time and satisfaction rate per month",
    },
    "chart_levels": {"zh": "满意度分布", "en": "Ratings"},
    "definitions": {"zh": "统计口径", "en": "Definitions"},
    "none": {"zh": "无", "en": "none"},
    "month_short": {"zh": "{month}月", "en": "{month_name}"},
}

#: The report's definitions, one paragraph each.
REPORT_DEFINITIONS: dict[str, tuple[str, ...]] = {
    "zh": (
        "统计时间按北京时间（UTC+8）划分。",
        "咨询按提问时间统计；解答率 =（直接解答 + 澄清后选择了事项）/ 咨询总量；"
        "未能解答的咨询按最相近的事项（匹配得分达到澄清阈值的首选条目）计数，"
        "不公开群众提问原文；仅含数字、标点的消息（如菜单序号）不计为咨询。",
        "工单按受理时间统计；延期、重办为至少有一次相应操作的工单数；超期为带督办标记的工单数。",
        "按期办结率 = 在期限内（含当日）答复或办结的工单 / 本期答复或办结的工单（按答复时间，"
        "无答复的按办结时间，即不予受理；合并及重办中的工单不计）。期限为现行期限（含延期、重办期限）。",
        "办理时长 = 受理日至首次答复或不予受理日之间的工作日数（法定节假日及调休已计入）；"
        "90 分位取最近秩。",
        "满意度按本期受理的工单统计，每件工单计一次：有追评的以追评为准，否则以首次评价为准；"
        "满意率 =（非常满意 + 满意 + 基本满意）/ 已评价工单。",
        "差评指首次评价为不满意或非常不满意，此类工单转重办，其追评结果单列。",
    ),
    "en": (
        "Periods are in China time (UTC+8).",
        "Questions count by the time asked; answer rate = (direct answers + clarifications "
        "whose choice was picked) / questions; unanswered questions are counted per nearest "
        "guide (the top-ranked entry when it scores at least the clarify threshold); the "
        "citizens' own words are never published; a message of only digits and punctuation "
        "(such as a menu number) does not count as a question.",
        "Tickets count by the time filed; extended and reopened count tickets with at least "
        "one such event; overdue counts tickets flagged for 督办.",
        "On-time rate = tickets answered (or, without an answer, closed — rejected) on or "
        "before their deadline / tickets answered or closed in the period, by that time; "
        "merged tickets and tickets in rework are left out. The deadline is the one in force "
        "(after an extension or a rework, the new one).",
        "Handling time = working days (public holidays and 调休 counted) from filing to the "
        "first answer or rejection; the 90th percentile is the nearest-rank value.",
        "Satisfaction counts each rated ticket filed in the period once: its 追评 if any, "
        "else its first rating; satisfaction rate = (very satisfied + satisfied + fairly "
        "satisfied) / rated tickets.",
        "差评 = a first rating of dissatisfied or very dissatisfied; such tickets are "
        "reworked and their 追评 are shown separately.",
    ),
}
CATALOGUE.update({f"report_{key}": value for key, value in REPORT_MESSAGES.items()})

#: Admin and staff command-line messages (kb check, kb gaps, tickets, staff).
ADMIN_MESSAGES: dict[str, dict[str, str]] = {
    "kb_dir_used": {
        "zh": "知识库目录：{path}（{why}）",
        "en": "knowledge base: {path} ({why})",
    },
    "kb_dir_option": {"zh": "来自 --kb", "en": "from --kb"},
    "kb_dir_setting": {
        "zh": "来自 CITIZEN_DESK_KB 或配置文件的 kb_dir",
        "en": "from CITIZEN_DESK_KB or kb_dir in the configuration file",
    },
    "kb_dir_local": {
        "zh": "当前目录下的 knowledge/",
        "en": "the knowledge/ directory in the working directory",
    },
    "kb_dir_sample": {
        "zh": "随程序安装的示例知识库；编辑自己的知识库请用 --kb 或 CITIZEN_DESK_KB",
        "en": "the sample installed with the program; for your own use --kb or CITIZEN_DESK_KB",
    },
    "kb_dir_missing": {
        "zh": "知识库目录 {path} 不存在",
        "en": "knowledge directory {path} does not exist",
    },
    "kb_dir_not_dir": {
        "zh": "{path} 不是目录（知识库是一个目录）",
        "en": "{path} is not a directory (a knowledge base is a directory)",
    },
    "kb_has_errors": {
        "zh": "{path} 中的知识库有错误：",
        "en": "the knowledge base in {path} has errors:",
    },
    "kb_level_error": {"zh": "{where}:{entry} 错误：{text}", "en": "{where}:{entry} error: {text}"},
    "kb_level_warning": {
        "zh": "{where}:{entry} 警告：{text}",
        "en": "{where}:{entry} warning: {text}",
    },
    "kb_summary": {
        "zh": "{files}，{entries}：{errors}，{warnings}",
        "en": "{files}, {entries}: {errors}, {warnings}",
    },
    "kb_files": {"zh": "{n} 个文件", "en": "{n} files", "en_one": "{n} file"},
    "kb_entries": {"zh": "{n} 个条目", "en": "{n} entries", "en_one": "{n} entry"},
    "kb_errors": {"zh": "{n} 个错误", "en": "{n} errors", "en_one": "{n} error"},
    "kb_warnings": {"zh": "{n} 个警告", "en": "{n} warnings", "en_one": "{n} warning"},
    # kb check: problems of a file as a whole (kbp_<key>, bot/knowledge/problems.py)
    "kbp_at_column": {"zh": "（第 {at_column} 列）", "en": " (column {at_column})"},
    "kbp_too_big": {
        "zh": "文件大小 {size} MB，上限为 {limit} MB，请拆分成几个较小的文件",
        "en": "file is {size} MB; the limit is {limit} MB — split it into smaller files",
    },
    "kbp_not_utf8": {
        "zh": "文件不是有效的 UTF-8 编码（第 {byte} 字节），请用 UTF-8 保存",
        "en": "file is not valid UTF-8 (byte {byte})",
    },
    "kbp_yaml_error": {"zh": "YAML 错误：{error}", "en": "YAML error: {error}"},
    "kbp_too_deep": {
        "zh": "嵌套超过 {limit} 层，拒绝读取",
        "en": "nesting deeper than {limit} levels is refused",
    },
    "kbp_too_many_aliases": {
        "zh": "别名（*引用）超过 {limit} 个，拒绝读取",
        "en": "more than {limit} aliases: refused",
    },
    "kbp_alias_bomb": {
        "zh": "别名展开后超过 {limit} 个值（别名炸弹？），拒绝读取",
        "en": "aliases expand to more than {limit} values (an alias bomb?): refused",
    },
    "kbp_unclosed_quote": {
        "zh": (
            "YAML 语法错误：从这里开始的引号没有闭合（解析器到第 {stop} 行才发现：{problem}）。"
            "请补上配对的引号"
        ),
        "en": (
            "YAML syntax error: the quoted text that starts here is not closed (the parser "
            "noticed at line {stop}: {problem}); add the closing quote"
        ),
    },
    "kbp_syntax_from": {
        "zh": "YAML 语法错误：{problem}（{context}，从这里开始，到第 {stop} 行出错）",
        "en": "YAML syntax error: {problem} ({context} that starts here; noticed at line {stop})",
    },
    "kbp_syntax_in": {
        "zh": "YAML 语法错误：{problem}（{context}，该结构从第 {start} 行开始）",
        "en": "YAML syntax error: {problem} ({context} that starts at line {start})",
    },
    "kbp_syntax": {"zh": "YAML 语法错误：{problem}", "en": "YAML syntax error: {problem}"},
    "kbp_duplicate_id": {
        "zh": "条目 id `{id}` 重复（第一次出现在 {first}）",
        "en": "duplicate id `{id}` (first at {first})",
    },
    # kb check: problems of the directory and its files (bot/knowledge/loader.py)
    "kbp_unreadable": {"zh": "无法读取：{error}", "en": "cannot read: {error}"},
    "kbp_unreadable_dir": {
        "zh": "无法读取该目录：{error}",
        "en": "cannot read the directory: {error}",
    },
    "kbp_dangling_link": {
        "zh": "无法读取：符号链接指向不存在的 {link}",
        "en": "cannot read: symbolic link to {link}, which does not exist",
    },
    "kbp_link_loop": {
        "zh": "无法读取：符号链接形成循环（{link}）",
        "en": "cannot read: symbolic link loop ({link})",
    },
    "kbp_link_loop_up": {
        "zh": "符号链接循环：{link} 指回上层目录",
        "en": "symbolic link loop: {link} leads back up",
    },
    "kbp_no_files": {
        "zh": "没有找到 *.yaml 或 *.yml 文件",
        "en": "no *.yaml or *.yml files found",
    },
    "kbp_no_entries": {"zh": "知识库中没有任何条目", "en": "the knowledge base has no entries"},
    "kbp_related_not_found": {
        "zh": "related 中的条目 id `{id}` 不存在",
        "en": "related id `{id}` not found",
    },
    "kbp_past_review": {
        "zh": "已过复核日期 {date}，请复核",
        "en": "past its review date {date}: please review",
    },
    "kbp_undeclared_category": {
        "zh": "类别 `{category}` 没有在 `categories` 中声明",
        "en": "category `{category}` is not declared in `categories`",
    },
    "kbp_shared_question": {
        "zh": "问题 {question} 同时属于 `{other}`（{where}）",
        "en": "question {question} also belongs to `{other}` ({where})",
    },
    # kb check: problems inside a file (bot/knowledge/parse.py)
    "kbp_empty_file": {
        "zh": "文件是空的，没有可加载的内容",
        "en": "the file is empty: nothing to load",
    },
    "kbp_file_not_mapping": {
        "zh": "文件的顶层必须是映射（包含 `entries:` 等键），而不是 {kind}",
        "en": "the file must be a mapping (with `entries:` and other keys), not a {kind}",
    },
    "kbp_bad_language": {
        "zh": "`language` 必须是 zh、en 这样的语言代码",
        "en": "`language` must be a code like zh or en",
    },
    "kbp_unknown_top_key": {
        "zh": "未知的顶层键 `{name}`，已忽略",
        "en": "unknown top-level key `{name}` ignored",
    },
    "kbp_entries_not_list": {"zh": "`entries` 必须是列表", "en": "`entries` must be a list"},
    "kbp_entry_not_mapping": {
        "zh": "条目必须是映射，而不是 {kind}",
        "en": "an entry must be a mapping, not {kind}",
    },
    "kbp_missing_field": {
        "zh": "缺少必填字段 `{field}`",
        "en": "missing required field `{field}`",
    },
    "kbp_bad_id": {
        "zh": "id {id} 不合规：只能用小写字母 a-z、数字 0-9 和 -",
        "en": "bad id {id}: use lowercase a-z, 0-9 and -",
    },
    "kbp_unknown_field": {
        "zh": "未知字段 `{name}`，已忽略",
        "en": "unknown field `{name}` ignored",
    },
    "kbp_bad_short_id": {
        "zh": "{what}必须由 a-z、0-9 和 - 组成（最多 {limit} 个字符）",
        "en": "{what} must be an id of a-z, 0-9 and - (at most {limit} characters)",
    },
    "kbp_what_category": {"zh": "`category` ", "en": "`category`"},
    "kbp_what_department": {"zh": "部门 id ", "en": "a department id"},
    "kbp_what_complaint_category": {"zh": "投诉类别 id ", "en": "a complaint category id"},
    "kbp_no_questions": {
        "zh": "`questions` 至少要有一个问题",
        "en": "`questions` needs at least one question",
    },
    "kbp_unknown_answer_field": {
        "zh": "未知的答案字段 `{name}`，已忽略",
        "en": "unknown answer field `{name}` ignored",
    },
    "kbp_answer_no_field": {
        "zh": "`answer` 没有任何办事指南字段（summary、materials、steps 等）",
        "en": "`answer` has no guide field (summary, materials, steps…)",
    },
    "kbp_related_not_list": {
        "zh": "`related` 必须是条目 id 的列表",
        "en": "`related` must be a list of entry ids",
    },
    "kbp_bad_date": {
        "zh": "`{name}` 必须是 2026-11-20 这样的日期，而不是 {value}",
        "en": "`{name}` must be a date like 2026-11-20, not {value}",
    },
    "kbp_bad_text": {
        "zh": "`{name}` 必须是文本或 {{zh: …, en: …}} 这样的映射，而不是{got}",
        "en": "`{name}` must be a text or a mapping like {{zh: …, en: …}}, not {got}",
    },
    "kbp_bad_text_item": {
        "zh": "`{name}` 的每一项必须是文本或 {{zh: …, en: …}} 这样的映射，而不是{got}",
        "en": "an item of `{name}` must be a text or a mapping like {{zh: …, en: …}}, not {got}",
    },
    "kbp_bad_text_list_lang": {
        "zh": "`{name}.{code}` 必须是文本列表",
        "en": "`{name}.{code}` must be a list of texts",
    },
    "kbp_bad_text_list": {
        "zh": "`{name}` 必须是列表或从语言到列表的映射，而不是{got}",
        "en": "`{name}` must be a list or a mapping from language to list, not {got}",
    },
    "kbp_got_mapping": {"zh": "映射", "en": "a mapping"},
    "kbp_got_list": {"zh": "列表", "en": "a list"},
    "kbp_got_value": {"zh": " {kind} {value}", "en": "{kind} {value}"},
    "kbp_centre_not_mapping": {"zh": "`centre` 必须是映射", "en": "`centre` must be a mapping"},
    "kbp_unknown_centre_key": {
        "zh": "未知的键 `centre.{name}`，已忽略",
        "en": "unknown key `centre.{name}` ignored",
    },
    "kbp_centre_no_name": {"zh": "必须填写 `centre.name`", "en": "`centre.name` is required"},
    "kbp_bad_phone": {
        "zh": "`centre.phones` 的每一项都需要 `label` 和 `number`",
        "en": "each of `centre.phones` needs `label` and `number`",
    },
    "kbp_categories_not_list": {
        "zh": "`categories` 必须是由 {id, title} 组成的列表",
        "en": "`categories` must be a list of {id, title}",
    },
    "kbp_category_no_id": {
        "zh": "每个类别都需要 `id` 和 `title`",
        "en": "each category needs an `id` and a `title`",
    },
    "kbp_routes_not_mapping": {
        "zh": "`routes` 必须是从路由到短语的映射",
        "en": "`routes` must be a mapping from route to phrases",
    },
    "kbp_unknown_route": {
        "zh": "未知的路由 `{route}`，已忽略（可用的有：{known}）",
        "en": "unknown route `{route}` ignored (known: {known})",
    },
    "kbp_departments_not_list": {
        "zh": "`departments` 必须是由 {id, name} 组成的列表",
        "en": "`departments` must be a list of {id, name}",
    },
    "kbp_department_no_id": {
        "zh": "每个部门都需要 `id` 和 `name`",
        "en": "each department needs an `id` and a `name`",
    },
    "kbp_complaint_categories_not_list": {
        "zh": "`complaint_categories` 必须是列表",
        "en": "`complaint_categories` must be a list",
    },
    "kbp_complaint_category_no_id": {
        "zh": "每个投诉类别都需要 `id`",
        "en": "each complaint category needs an `id`",
    },
    "kbp_bad_deadline_days": {
        "zh": "`deadline_days` 必须是不小于 1 的整数",
        "en": "`deadline_days` must be a whole number ≥ 1",
    },
    "kbp_bad_department": {
        "zh": "`department` 必须是一个部门 id",
        "en": "`department` must be a department id",
    },
    "kbp_bad_fields": {
        "zh": "`fields` 必须是下列字段组成的列表：{known}",
        "en": "`fields` must be a list of: {known}",
    },
    "kbp_complaint_category_no_name": {
        "zh": "投诉类别需要 `name`",
        "en": "a complaint category needs a `name`",
    },
    "kbp_triage_not_list": {
        "zh": "`triage` 必须是由 {id, phrases, message} 组成的列表",
        "en": "`triage` must be a list of {id, phrases, message}",
    },
    "kbp_triage_no_id": {"zh": "每条分诊规则都需要 `id`", "en": "each triage rule needs an `id`"},
    "kbp_triage_incomplete": {
        "zh": "分诊规则需要 `phrases` 和 `message`",
        "en": "a triage rule needs `phrases` and `message`",
    },
    # /reload: the report sent to the admins (bot/reload.py)
    "reload_failed": {
        "zh": "知识库重新加载失败，仍在使用原来的知识库。",
        "en": "knowledge reload failed; still serving the previous knowledge base.",
    },
    "reload_done": {"zh": "知识库已重新加载：{entries}", "en": "knowledge reloaded: {entries}"},
    "reload_added": {"zh": "新增 {n} 条：{ids}", "en": "added {n}: {ids}"},
    "reload_removed": {"zh": "删除 {n} 条：{ids}", "en": "removed {n}: {ids}"},
    "reload_edited": {"zh": "修改 {n} 条：{ids}", "en": "edited {n}: {ids}"},
    "reload_warnings": {"zh": "警告：", "en": "warnings:"},
}
CATALOGUE.update(ADMIN_MESSAGES)

#: The console's knowledge page (bot/web/routes_kb.py), for admins.
KB_PAGE_MESSAGES: dict[str, dict[str, str]] = {
    "web_nav_kb": {"zh": "知识库", "en": "Knowledge base"},
    "web_kb_title": {"zh": "知识库管理", "en": "Knowledge base"},
    "web_kb_status": {"zh": "当前使用的知识库", "en": "In use"},
    "web_kb_dir": {"zh": "目录", "en": "Directory"},
    "web_kb_entries": {"zh": "条目数", "en": "Entries"},
    "web_kb_files": {"zh": "文件数", "en": "Files"},
    "web_kb_loaded_at": {"zh": "加载时间", "en": "Loaded at"},
    "web_kb_last_reload": {"zh": "最近一次重新加载", "en": "Last reload"},
    "web_kb_never_reloaded": {
        "zh": "本进程启动以来尚未重新加载。",
        "en": "Not reloaded since this process started.",
    },
    "web_kb_reload_good": {"zh": "成功", "en": "good"},
    "web_kb_reload_broken": {
        "zh": "失败，仍在使用原来的知识库",
        "en": "broken; the previous knowledge base still serves",
    },
    "web_kb_reload": {"zh": "立即重新加载", "en": "Reload now"},
    "web_kb_reload_hint": {
        "zh": "先校验全部 YAML 文件再替换；有错误时继续使用原来的知识库。操作留痕。",
        "en": "Every YAML file is checked first; on an error the previous knowledge base "
        "keeps serving. The reload is audited.",
    },
    "web_kb_no_reloader": {
        "zh": "此进程不能重新加载知识库。",
        "en": "This process cannot reload the knowledge base.",
    },
    "web_kb_history": {"zh": "重新加载记录", "en": "Reload log"},
    "web_kb_when": {"zh": "时间", "en": "When"},
    "web_kb_who": {"zh": "操作人", "en": "By"},
    "web_kb_outcome": {"zh": "结果", "en": "Outcome"},
    "web_kb_gaps": {"zh": "知识库缺口", "en": "Knowledge gaps"},
    "web_kb_gaps_hint": {
        "zh": "与 citizen-desk kb gaps 相同的报告：未匹配、澄清后未选择或被点 👎 的问题，按话题分组。",
        "en": "The report of citizen-desk kb gaps: questions with no match, with choices "
        "nobody picked or with a 👎, grouped by topic.",
    },
    "web_kb_gaps_since": {"zh": "起始日期（UTC）", "en": "From (UTC)"},
    "web_kb_gaps_min": {"zh": "每组至少问题数", "en": "Questions per group, at least"},
    "web_kb_gaps_show": {"zh": "显示", "en": "Show"},
    "web_kb_gaps_bad": {
        "zh": "起始日期应为 YYYY-MM-DD，问题数应为不小于 1 的整数。",
        "en": "The date must be YYYY-MM-DD and the count a whole number of at least 1.",
    },
    "web_kb_yaml": {"zh": "可复制的 YAML 片段", "en": "YAML to copy"},
    "web_kb_group": {"zh": "第 {n} 组", "en": "Group {n}"},
    "web_kb_draft": {"zh": "工单 {number}", "en": "Ticket {number}"},
}
CATALOGUE.update(KB_PAGE_MESSAGES)


#: Disclosure requests (依申请公开, docs/disclosure.md).
DISCLOSURE_MESSAGES: dict[str, dict[str, str]] = {
    "kind_disclosure": {"zh": "政府信息公开申请", "en": "Information request"},
    "status_correction": {"zh": "待补正", "en": "awaiting your correction"},
    "status_corrected": {"zh": "已补正，办理中", "en": "corrected, in progress"},
    "status_abandoned": {"zh": "逾期未补正，视为放弃", "en": "abandoned (no correction in time)"},
    "event_request_correction": {"zh": "一次性告知补正", "en": "correction requested"},
    "event_correct": {"zh": "收到补正", "en": "correction received"},
    "event_abandon": {"zh": "逾期未补正，视为放弃", "en": "abandoned: no correction in time"},
    "event_consult": {"zh": "征求第三方意见", "en": "third party consulted"},
    "event_consult_end": {"zh": "第三方意见已收到", "en": "third-party consultation ended"},
    "event_answer": {"zh": "作出答复", "en": "decision sent"},
    "disclosure_applicant_natural": {"zh": "自然人", "en": "Natural person"},
    "disclosure_applicant_commercial": {"zh": "商业企业", "en": "Business"},
    "disclosure_applicant_research": {"zh": "科研机构", "en": "Research body"},
    "disclosure_applicant_welfare": {"zh": "社会公益组织", "en": "Public-interest body"},
    "disclosure_applicant_legal": {"zh": "法律服务机构", "en": "Legal services"},
    "disclosure_applicant_other_org": {"zh": "其他组织", "en": "Other organisation"},
    "disclosure_form_form_paper": {"zh": "纸质", "en": "Paper"},
    "disclosure_form_form_electronic": {"zh": "电子", "en": "Electronic"},
    "disclosure_way_collect": {"zh": "当面领取", "en": "Collect in person"},
    "disclosure_way_post": {"zh": "邮寄", "en": "By post"},
    "disclosure_way_email": {"zh": "电子邮件", "en": "By email"},
    "disclosure_way_chat": {"zh": "在本对话中发送", "en": "In this chat"},
    "disclosure_label_applicant": {"zh": "申请人", "en": "Applicant"},
    "disclosure_label_name": {"zh": "姓名/名称", "en": "Name"},
    "disclosure_label_id": {
        "zh": "身份证件号码/统一社会信用代码",
        "en": "ID or registration number",
    },
    "disclosure_label_description": {"zh": "所需信息", "en": "Information requested"},
    "disclosure_label_purpose": {"zh": "用途", "en": "Purpose"},
    "disclosure_label_delivery": {"zh": "获取方式", "en": "Delivery"},
    "disclosure_intro": {
        "zh": "政府信息公开申请（《政府信息公开条例》第二十九条）。我们自收到申请之日起20个工作日内答复。请先选择申请人类型：",
        "en": "Request for government information (Regulations on Open Government Information, Art. 29). We answer within 20 working days of receipt. First, who is applying?",
    },
    "disclosure_ask_name": {
        "zh": "请输入申请人姓名或组织名称：",
        "en": "The applicant's name (or the organisation's):",
    },
    "disclosure_ask_id": {
        "zh": "请输入身份证件号码（组织请填统一社会信用代码）：",
        "en": "The ID card number (for an organisation, its unified social credit code):",
    },
    "disclosure_ask_contact": {
        "zh": "请留下联系方式（电话、地址或邮箱）：",
        "en": "A contact (phone, address or email):",
    },
    "disclosure_ask_description": {
        "zh": "请写明您需要的政府信息：名称、文号或其他便于查找的特征。",
        "en": "Describe the information you want: its title, reference number or anything that helps find it.",
    },
    "disclosure_ask_purpose": {"zh": "用途（可跳过）：", "en": "What is it for? (optional)"},
    "disclosure_ask_delivery_form": {"zh": "希望以什么形式提供？", "en": "In what form?"},
    "disclosure_ask_delivery_way": {
        "zh": "希望通过什么途径获取？",
        "en": "How should it reach you?",
    },
    "disclosure_too_short": {
        "zh": "内容太短，请再写具体一些。",
        "en": "That is too short; please say a little more.",
    },
    "disclosure_summary": {"zh": "请核对您的申请：", "en": "Please check your request:"},
    "disclosure_petition": {
        "zh": "您反映的是投诉、举报或信访事项，不属于政府信息公开申请（《政府信息公开条例》第三十九条）。请通过投诉渠道提交，我们会按时限办理。",
        "en": "This reads as a complaint, report or petition, which is not a request for government information (Art. 39 of the Regulations). Please use the complaint channel; it has its own time limits.",
    },
    "disclosure_offer": {
        "zh": "您是想申请政府信息公开吗？可以在这里直接提交申请。",
        "en": "Do you want to request government information? You can file the request here.",
    },
    "disclosure_button_start": {"zh": "申请政府信息公开", "en": "Request information"},
    "disclosure_button_correct": {"zh": "提交补正", "en": "Send the correction"},
    "disclosure_ask_correction": {
        "zh": "请发送补正内容（申请 {number}）：",
        "en": "Send your correction for request {number}:",
    },
    "disclosure_filed": {
        "zh": "您的政府信息公开申请已收到，编号 {number}。收到申请之日：{received}（第三十一条）。答复期限：{deadline}（20个工作日，《政府信息公开条例》第三十三条）。如申请内容需要补正，我们将在 {notice} 前一次性告知。",
        "en": "Your information request is received, number {number}, counted as received on {received} (Art. 31). Answer due by {deadline} (20 working days, Art. 33). If anything needs correcting we will tell you once, by {notice}.",
    },
    "disclosure_correction_notice": {
        "zh": "申请 {number} 需要补正（《政府信息公开条例》第三十条）：{what}\n请在 {by} 前补正。答复期限自收到补正之日起重新计算；逾期无正当理由不补正的，视为放弃申请。",
        "en": "Request {number} needs correcting (Art. 30): {what}\nPlease correct it by {by}. The 20 working days start again when the correction arrives; without a correction by then the request is treated as abandoned.",
    },
    "disclosure_correction_label": {"zh": "补正：", "en": "Correction: "},
    "disclosure_corrected": {
        "zh": "已收到申请 {number} 的补正。答复期限：{deadline}。",
        "en": "Correction to request {number} received. Answer due by {deadline}.",
    },
    "disclosure_staff_corrected": {
        "zh": "申请 {number} 已补正，答复期限 {deadline}。",
        "en": "Request {number} corrected; answer due {deadline}.",
    },
    "disclosure_extended": {
        "zh": "申请 {number} 的答复期限经负责人同意延长至 {deadline}（《政府信息公开条例》第三十三条）。理由：{reason}",
        "en": "The answer to request {number} is extended, with the head of office's approval, to {deadline} (Art. 33). Reason: {reason}",
    },
    "disclosure_consulting": {
        "zh": "申请 {number} 涉及第三方权益，正在书面征求第三方意见；征求意见所需时间不计入答复期限（第三十二条、第三十三条）。",
        "en": "Request {number} affects a third party, whose opinion is being asked in writing; that time does not count toward the answer deadline (Arts. 32, 33).",
    },
    "disclosure_abandoned": {
        "zh": "申请 {number} 未在期限内补正，视为放弃申请（《政府信息公开条例》第三十条）。您可以重新提出申请。",
        "en": "Request {number} was not corrected in time and is treated as abandoned (Art. 30). You may file a new request.",
    },
    "disclosure_decision": {
        "zh": "申请 {number} 的答复：\n{decision}",
        "en": "Decision on request {number}:\n{decision}",
    },
    "disclosure_decision_adverse": {
        "zh": "申请 {number} 的答复：\n{decision}",
        "en": "Decision on request {number}:\n{decision}",
    },
    "disclosure_answer_already_public": {
        "zh": "您申请的信息已经主动公开（《政府信息公开条例》第三十六条第（一）项），获取途径：{detail}",
        "en": "The information is already public (Art. 36(1)); you can find it here: {detail}",
    },
    "disclosure_answer_disclosed": {
        "zh": "经审查，您申请的信息予以公开（《政府信息公开条例》第三十六条第（二）项）。",
        "en": "The information is disclosed (Art. 36(2)).",
    },
    "disclosure_answer_partly": {
        "zh": "您申请的信息部分公开：可以公开的部分予以提供，其余部分不予公开（《政府信息公开条例》第三十七条）。",
        "en": "The information is partly disclosed: the disclosable part is provided, the rest withheld (Art. 37).",
    },
    "disclosure_answer_withheld": {
        "zh": "您申请的信息不予公开（《政府信息公开条例》第三十六条第（三）项）。{detail}",
        "en": "The information is not disclosed (Art. 36(3)). {detail}",
    },
    "disclosure_answer_not_exist": {
        "zh": "经检索，本机关没有您申请的信息，该政府信息不存在（《政府信息公开条例》第三十六条第（四）项）。",
        "en": "After a search, this office holds no such information: it does not exist (Art. 36(4)).",
    },
    "disclosure_answer_not_ours": {
        "zh": "您申请的信息不属于本机关负责公开（《政府信息公开条例》第三十六条第（五）项）。负责公开的机关及联系方式：{detail}",
        "en": "This office is not responsible for disclosing that information (Art. 36(5)). The responsible office and its contact: {detail}",
    },
    "disclosure_answer_repeat": {
        "zh": "您的申请与此前已答复的申请内容相同，不予重复处理（《政府信息公开条例》第三十六条第（六）项）。",
        "en": "This repeats a request already answered and will not be handled again (Art. 36(6)).",
    },
    "disclosure_answer_register": {
        "zh": "您申请的信息属于工商、不动产登记资料等，有关法律、行政法规对其获取另有规定，请依照相关规定办理（《政府信息公开条例》第三十六条第（七）项）。{detail}",
        "en": "The information is in a special register (business, real-estate …) whose access has its own rules; please apply under those (Art. 36(7)). {detail}",
    },
    "disclosure_answer_needs_creation": {
        "zh": "本机关没有现成的该信息，需要另行制作或加工分析，不予提供（《政府信息公开条例》第三十八条）。",
        "en": "No such information exists as such; the office need not create or analyse it (Art. 38).",
    },
    "disclosure_answer_still_unclear": {
        "zh": "补正后申请内容仍不明确，无法提供（《政府信息公开条例》第三十条）。",
        "en": "Even after correction the request remains unclear, so nothing can be provided (Art. 30).",
    },
    "disclosure_answer_petition": {
        "zh": "您提出的是信访、投诉或举报事项，不作为政府信息公开申请处理，请通过投诉渠道反映（《政府信息公开条例》第三十九条）。",
        "en": "This is a petition, complaint or report, not an information request; please use the complaint channel (Art. 39).",
    },
    "disclosure_answer_publication": {
        "zh": "您要求的是公开出版物，请通过出版物渠道获取（《政府信息公开条例》第三十九条）。{detail}",
        "en": "This is a publication; please obtain it through its usual channels (Art. 39). {detail}",
    },
    "disclosure_answer_excessive": {
        "zh": "您的申请数量、频次明显超过合理范围且未说明理由，不予处理（《政府信息公开条例》第三十五条）。",
        "en": "The volume or frequency of your requests is clearly beyond reason and no reason was given; not processed (Art. 35).",
    },
    "disclosure_answer_confirm": {
        "zh": "您要求确认或重新出具已获取的信息，不属于政府信息公开申请，不予处理。",
        "en": "A request to confirm or reissue information already obtained is not a disclosure request; not processed.",
    },
    "disclosure_reason_secret": {
        "zh": "理由：属于国家秘密（第十四条）。",
        "en": "Reason: state secret (Art. 14).",
    },
    "disclosure_reason_law": {
        "zh": "理由：法律、行政法规禁止公开（第十四条）。",
        "en": "Reason: barred by law or regulation (Art. 14).",
    },
    "disclosure_reason_safety": {
        "zh": "理由：公开后可能危及国家安全、公共安全、经济安全、社会稳定（第十四条）。",
        "en": "Reason: would endanger national, public or economic security or social stability (Art. 14).",
    },
    "disclosure_reason_third_party": {
        "zh": "理由：涉及商业秘密、个人隐私等，公开会对第三方合法权益造成损害（第十五条）。",
        "en": "Reason: would harm a third party's lawful rights (trade secrets, privacy; Art. 15).",
    },
    "disclosure_reason_internal": {
        "zh": "理由：属于人事管理、后勤管理、内部工作流程等内部事务信息（第十六条）。",
        "en": "Reason: internal affairs (Art. 16).",
    },
    "disclosure_reason_process": {
        "zh": "理由：属于讨论记录、过程稿、磋商信函、请示报告等过程性信息（第十六条）。",
        "en": "Reason: process information (Art. 16).",
    },
    "disclosure_reason_enforcement": {
        "zh": "理由：属于行政执法案卷信息（第十六条）。",
        "en": "Reason: administrative enforcement files (Art. 16).",
    },
    "disclosure_reason_query": {
        "zh": "理由：属于行政查询事项，请按查询渠道办理。",
        "en": "Reason: an administrative query matter; please use the query channel.",
    },
    "disclosure_delivery_collect": {
        "zh": "请携带身份证件到便民服务中心领取。",
        "en": "Please collect it at the service centre with your ID.",
    },
    "disclosure_delivery_post": {
        "zh": "将按您留下的地址邮寄。",
        "en": "It will be posted to the address you gave.",
    },
    "disclosure_delivery_email": {
        "zh": "将发送到您留下的邮箱。",
        "en": "It will be emailed to the address you gave.",
    },
    "disclosure_delivery_chat": {"zh": "信息内容如下：", "en": "The information follows:"},
    "disclosure_remedy": {
        "zh": "如您认为本答复侵犯了您的合法权益，可以自收到之日起60日内依法申请行政复议，或者自收到之日起6个月内依法提起行政诉讼（《政府信息公开条例》第五十一条）。",
        "en": "If you believe this decision infringes your lawful rights, you may apply for administrative reconsideration within 60 days of receiving it, or bring an administrative lawsuit within 6 months (Art. 51).",
    },
    "disclosure_notice_reminder": {
        "zh": "提醒：申请 {number} 如需补正，须在 {date} 前一次性告知申请人（第三十条）。",
        "en": "Reminder: any correction notice for request {number} must go out by {date} (Art. 30).",
    },
    "disclosure_receipt_needs_submitted": {
        "zh": "请给出提交申请的日期（当面提交以提交之日为收到之日，第三十一条）。",
        "en": "Give the day it was handed in (in person, that day counts as receipt, Art. 31).",
    },
    "disclosure_receipt_needs_signed_for": {
        "zh": "请给出签收日期（邮寄的以签收之日为收到之日，第三十一条）。",
        "en": "Give the day the post was signed for (that day counts as receipt, Art. 31).",
    },
    "disclosure_receipt_needs_confirmed": {
        "zh": "请给出与申请人确认的日期（平信、网络、传真以确认之日为收到之日，第三十一条）。",
        "en": "Give the day receipt was confirmed with the applicant (letter, internet, fax: Art. 31).",
    },
    "disclosure_receipt_future": {
        "zh": "收到日期不能晚于今天。",
        "en": "The day of receipt cannot be after today.",
    },
    "disclosure_correction_once": {
        "zh": "补正只能告知一次（第三十条）。",
        "en": "A correction can be requested only once (Art. 30).",
    },
    "disclosure_correction_late": {
        "zh": "已超过收到申请后7个工作日的补正告知期限（第三十条）。",
        "en": "The 7 working days for a correction notice have passed (Art. 30).",
    },
    "disclosure_no_correction_pending": {
        "zh": "申请 {number} 没有待补正的内容。",
        "en": "Request {number} is not awaiting a correction.",
    },
    "disclosure_extension_once": {
        "zh": "答复期限只能延长一次（第三十三条）。",
        "en": "The answer can be extended only once (Art. 33).",
    },
    "disclosure_bad_days": {
        "zh": "天数无效（延期最长20个工作日）。",
        "en": "Invalid number of days (an extension is at most 20 working days).",
    },
    "disclosure_bad_date": {
        "zh": "日期早于上一步。",
        "en": "That date is before the previous step.",
    },
    "disclosure_consulting_already": {
        "zh": "正在征求第三方意见。",
        "en": "A consultation is already under way.",
    },
    "disclosure_not_consulting": {
        "zh": "没有正在进行的第三方征求意见。",
        "en": "No consultation is under way.",
    },
    "disclosure_consulting_open": {
        "zh": "申请 {number} 仍在征求第三方意见，请先结束征求意见。",
        "en": "Request {number} is still in consultation; end it first.",
    },
    "disclosure_clock_stopped": {
        "zh": "申请 {number} 正在等待补正，期限暂停。",
        "en": "Request {number} is awaiting a correction; the clock is stopped.",
    },
    "disclosure_bad_reason": {
        "zh": "不予公开须选择理由：secret, law, safety, third_party, internal, process, enforcement, query。",
        "en": "Not disclosed needs a reason: secret, law, safety, third_party, internal, process, enforcement, query.",
    },
    "disclosure_needs_detail_already_public": {
        "zh": "请写明获取途径。",
        "en": "Say where it is published.",
    },
    "disclosure_needs_detail_not_ours": {
        "zh": "请写明负责公开的机关名称和联系方式。",
        "en": "Name the responsible office and its contact.",
    },
    "disclosure_staff_ask": {
        "zh": "申请 {number}：{what}。请回复本消息填写。",
        "en": "Request {number}: {what}. Reply to this message with it.",
    },
    "disclosure_staff_ask_extend": {
        "zh": "申请 {number}：延长的工作日数（1–20）和延期理由，例如“10 需要汇总多个村的材料”。"
        "理由将告知申请人（第三十三条）。请回复本消息填写。",
        "en": "Request {number}: the working days (1–20) and the reason, e.g. "
        '"10 collecting several villages\' records". The applicant is told the reason '
        "(Art. 33). Reply to this message with it.",
    },
    "disclosure_staff_ask_answer": {
        "zh": "申请 {number}，答复类型：{answer}。{what}请回复本消息填写。",
        "en": "Request {number}, answer: {answer}. {what} Reply to this message with it.",
    },
    "disclosure_staff_ask_where": {
        "zh": "请写明该信息已公开的获取方式和途径（第三十六条第一项）。",
        "en": "Say where and how the information is already published (Art. 36(1)).",
    },
    "disclosure_staff_ask_office": {
        "zh": "请写明负责公开该信息的机关名称和联系方式（第三十六条第五项）。",
        "en": "Name the office responsible for the information and its contact (Art. 36(5)).",
    },
    "disclosure_staff_ask_detail": {
        "zh": "可写明说明（提供的信息、依据等），不需要请按“跳过”。",
        "en": "Add a note (the information given, the grounds …), or press Skip.",
    },
    "disclosure_staff_pick_answer": {
        "zh": "申请 {number}：请选择答复类型（第三十六条）。",
        "en": "Request {number}: choose the answer type (Art. 36).",
    },
    "disclosure_staff_pick_reason": {
        "zh": "申请 {number}：不予公开的理由是？",
        "en": "Request {number}: on what ground is it not disclosed?",
    },
    "disclosure_staff_not_now": {
        "zh": "申请 {number} 现在不能进行这项操作，可以进行的操作如下：",
        "en": "Request {number} does not take that action now; these it does:",
    },
    "disclosure_staff_dropped": {
        "zh": "（申请 {number} 尚未填写完的操作已取消。）",
        "en": "(The unfinished action on request {number} was cancelled.)",
    },
    "disclosure_not_a_request": {
        "zh": "{number} 不是政府信息公开申请。",
        "en": "{number} is not an information request.",
    },
    "disclosure_use_own": {
        "zh": "{number} 是政府信息公开申请，请使用 disclosure 命令答复、延期。",
        "en": "{number} is an information request; use the disclosure commands to answer or extend it.",
    },
    "disclosure_recorded_note": {
        "zh": "工作人员代为记录/录入申请（第二十九条），提交方式：{via}",
        "en": "Request written up or entered by staff (Art. 29), delivered: {via}",
    },
    "disclosure_bad_delivery": {"zh": "获取方式无效。", "en": "Invalid delivery."},
    "disclosure_bad_review": {"zh": "复议/诉讼记录无效。", "en": "Invalid review entry."},
    "disclosure_bad_carried_in": {
        "zh": (
            "抱歉，--carried-in 的值“{given}”看不懂。请按表格列的顺序填写上年报告"
            "“四、结转下年度继续办理”一行的6个整数（自然人、商业企业、科研机构、"
            "社会公益组织、法律服务机构、其他），可在最后加上总计，用逗号分隔，"
            "例如 --carried-in 1,1,0,0,1,0 或 --carried-in 1,1,0,0,1,0,3。"
        ),
        "en": (
            'Sorry, the --carried-in value "{given}" could not be read. Please give the six '
            'whole numbers of last year\'s published row "IV. Carried over to next year", in '
            "the table's column order (natural persons, businesses, research bodies, "
            "public-interest bodies, legal services, other), optionally followed by the total, "
            "separated by commas, e.g. --carried-in 1,1,0,0,1,0 or --carried-in 1,1,0,0,1,0,3."
        ),
    },
    "disclosure_carried_in_total": {
        "zh": "抱歉，--carried-in 的总计 {total} 与前6列之和 {added} 不一致，请核对上年报告。",
        "en": (
            "Sorry, the --carried-in total {total} is not the sum of the six columns "
            "({added}); please check last year's report."
        ),
    },
    "disclosure_carried_in_month": {
        "zh": "--carried-in 只用于全年的政府信息公开表格，请去掉 --month 或加上 --disclosure。",
        "en": (
            "--carried-in is for the yearly disclosure table: leave out --month, "
            "or add --disclosure."
        ),
    },
    "disclosure_not_reconciled": {
        "zh": "数据不平衡，未生成表格（一+二 应等于 三+四）：{reasons}",
        "en": "The figures do not reconcile, so no table was made (I + II must equal III + IV): {reasons}",
    },
}
CATALOGUE.update(DISCLOSURE_MESSAGES)

#: A disclosure request's page in the web console (bot/web/disclosure.py).
WEB_DISCLOSURE_MESSAGES: dict[str, dict[str, str]] = {
    "web_disclosure_title": {"zh": "依申请公开办理", "en": "Information request handling"},
    "web_disclosure_received": {"zh": "收到申请日（第三十一条）", "en": "Received (Art. 31)"},
    "web_disclosure_notice_due": {
        "zh": "补正告知最后一日（第三十条）",
        "en": "Last day for a correction notice (Art. 30)",
    },
    "web_disclosure_correction_asked": {"zh": "补正告知日", "en": "Correction asked on"},
    "web_disclosure_correction_by": {"zh": "补正期限", "en": "Correction due by"},
    "web_disclosure_corrected_on": {
        "zh": "收到补正日（重新起算）",
        "en": "Correction received (the count restarts)",
    },
    "web_disclosure_consultation": {
        "zh": "征求第三方意见（第三十二条）",
        "en": "Third-party consultation (Art. 32)",
    },
    "web_disclosure_open": {"zh": "进行中", "en": "ongoing"},
    "web_disclosure_consultation_due": {
        "zh": "第三方答复期限",
        "en": "Third party's last day",
    },
    "web_disclosure_extension": {
        "zh": "已延长工作日数（第三十三条）",
        "en": "Extended by working days (Art. 33)",
    },
    "web_disclosure_answer_due": {"zh": "答复期限（第三十三条）", "en": "Answer due (Art. 33)"},
    "web_disclosure_stopped": {
        "zh": "暂停计算（补正或征求意见期间）",
        "en": "clock stopped (correction or consultation)",
    },
    "web_disclosure_concluded": {"zh": "办结日", "en": "Concluded on"},
    "web_disclosure_result": {"zh": "答复及统计栏目", "en": "Answer and table row"},
    "web_disclosure_action_d-correct": {"zh": "发出补正告知", "en": "Ask for a correction"},
    "web_disclosure_action_d-corrected": {"zh": "登记收到的补正", "en": "Record the correction"},
    "web_disclosure_action_d-consult": {"zh": "征求第三方意见", "en": "Consult a third party"},
    "web_disclosure_action_d-consult-end": {"zh": "结束征求意见", "en": "End the consultation"},
    "web_disclosure_action_d-extend": {"zh": "延长答复期限", "en": "Extend the answer date"},
    "web_disclosure_action_d-answer": {"zh": "作出答复", "en": "Answer"},
    "web_disclosure_field_d-correct": {
        "zh": "需要补正的内容（一次性告知）",
        "en": "What to correct (one notice only)",
    },
    "web_disclosure_field_correct_days": {
        "zh": "补正期限（工作日，不填为10）",
        "en": "Working days to correct (10 if empty)",
    },
    "web_disclosure_field_d-corrected": {
        "zh": "收到的补正内容（纸质、当面等）",
        "en": "The correction received (on paper, at the counter …)",
    },
    "web_disclosure_field_d-consult": {
        "zh": "第三方名称及征求事项",
        "en": "The third party and what it is asked",
    },
    "web_disclosure_field_d-consult-end": {
        "zh": "第三方意见（可不填）",
        "en": "The third party's opinion (optional)",
    },
    "web_disclosure_field_extend_days": {
        "zh": "延长工作日数（1–20）",
        "en": "Working days (1–20)",
    },
    "web_disclosure_field_d-extend": {
        "zh": "延期理由（将告知申请人）",
        "en": "Reason (told to the applicant)",
    },
    "web_disclosure_field_answer": {"zh": "答复类型", "en": "Answer type"},
    "web_disclosure_field_reason": {
        "zh": "不予公开的理由（仅“不予公开”）",
        "en": "Reason for withholding (only when not disclosed)",
    },
    "web_disclosure_field_d-answer": {
        "zh": "说明（获取途径、负责机关或提供的信息）",
        "en": "Detail (where it is public, the responsible office, or the information)",
    },
    "web_disclosure_delivery_note": {
        "zh": "答复按申请人选择的方式送达：{delivery}",
        "en": "The answer goes the way the applicant chose: {delivery}",
    },
    "web_disclosure_bad_correction_days": {
        "zh": "补正期限请填1到60之间的整数（工作日）。",
        "en": "Give the working days to correct as a whole number from 1 to 60.",
    },
    "web_disclosure_pick_answer": {"zh": "请选择答复类型。", "en": "Please choose an answer type."},
    "web_disclosure_pick": {"zh": "请选择", "en": "Choose"},
    "web_disclosure_answer_already_public": {
        "zh": "已主动公开（告知获取途径）",
        "en": "Already public (say where)",
    },
    "web_disclosure_answer_disclosed": {"zh": "予以公开", "en": "Disclosed"},
    "web_disclosure_answer_partly": {"zh": "部分公开", "en": "Partly disclosed"},
    "web_disclosure_answer_withheld": {"zh": "不予公开", "en": "Not disclosed"},
    "web_disclosure_answer_not_exist": {"zh": "信息不存在", "en": "Does not exist"},
    "web_disclosure_answer_not_ours": {
        "zh": "不属于本机关（告知负责机关）",
        "en": "Not this office's (name the office)",
    },
    "web_disclosure_answer_repeat": {"zh": "重复申请", "en": "Repeat request"},
    "web_disclosure_answer_register": {
        "zh": "工商、不动产登记资料等",
        "en": "Special register (business, real estate …)",
    },
    "web_disclosure_answer_needs_creation": {
        "zh": "需另行制作",
        "en": "Would have to be created",
    },
    "web_disclosure_answer_still_unclear": {
        "zh": "补正后仍不明确",
        "en": "Still unclear after correction",
    },
    "web_disclosure_answer_petition": {
        "zh": "信访、投诉、举报",
        "en": "Petition, complaint or report",
    },
    "web_disclosure_answer_publication": {"zh": "公开出版物", "en": "A publication"},
    "web_disclosure_answer_excessive": {
        "zh": "无正当理由大量反复申请",
        "en": "Excessive without good reason",
    },
    "web_disclosure_answer_confirm": {
        "zh": "要求确认或重新出具",
        "en": "Asks to confirm or reissue",
    },
}
CATALOGUE.update(WEB_DISCLOSURE_MESSAGES)

#: A request written up by staff (bot/disclosure/written.py) and its console form, and the
#: console's section-四 form (bot/web/routes_disclosure.py).
RECORD_MESSAGES: dict[str, dict[str, str]] = {
    "disclosure_required": {"zh": "请填写此项。", "en": "Please fill this in."},
    "disclosure_pick_one": {"zh": "请选择一项。", "en": "Please choose one of the options."},
    "disclosure_staff_petition": {
        "zh": "这是投诉、举报或信访事项，不属于政府信息公开申请（第三十九条），请按投诉登记。",
        "en": (
            "This is a complaint, report or petition, not a request for government "
            "information (Art. 39); file it as a complaint."
        ),
    },
    "disclosure_needs_chat": {
        "zh": "选择“在本对话中发送”时，须填写申请人的对话账号（tg:数字）。",
        "en": "The delivery way 'in chat' needs the applicant's chat account (tg:ID).",
    },
    "disclosure_bad_chat": {
        "zh": "对话账号的格式为 tg:数字，例如 tg:123456。",
        "en": "A chat account is written tg:ID, e.g. tg:123456.",
    },
    "disclosure_bad_review_year": {
        "zh": "年份须为 {low} 至 {high} 之间的整数。",
        "en": "The year must be a whole number from {low} to {high}.",
    },
    "disclosure_bad_review_count": {
        "zh": "件数须为 1 至 {high} 之间的整数。",
        "en": "The count must be a whole number from 1 to {high}.",
    },
    "disclosure_via_in_person": {
        "zh": "当面提交（含口头申请，由工作人员代为填写）",
        "en": "In person (an oral request written up by staff included)",
    },
    "disclosure_via_post": {"zh": "邮寄（以签收之日为准）", "en": "By post (the day signed for)"},
    "disclosure_via_letter": {
        "zh": "平常信函（以与申请人确认之日为准）",
        "en": "Ordinary letter (the day confirmed with the applicant)",
    },
    "disclosure_via_online": {
        "zh": "互联网渠道或传真（以双方确认之日为准）",
        "en": "Internet or fax (the day both sides confirm)",
    },
    "disclosure_review_kind_review": {"zh": "行政复议", "en": "Administrative reconsideration"},
    "disclosure_review_kind_lawsuit_direct": {
        "zh": "行政诉讼（未经复议直接起诉）",
        "en": "Lawsuit without reconsideration",
    },
    "disclosure_review_kind_lawsuit_after_review": {
        "zh": "行政诉讼（复议后起诉）",
        "en": "Lawsuit after reconsideration",
    },
    "disclosure_review_result_upheld": {"zh": "结果维持", "en": "Upheld"},
    "disclosure_review_result_corrected": {"zh": "结果纠正", "en": "Corrected"},
    "disclosure_review_result_other": {"zh": "其他结果", "en": "Other"},
    "disclosure_review_result_pending": {"zh": "尚未审结", "en": "Pending"},
    "web_record_title": {"zh": "登记公开申请", "en": "Record an information request"},
    "web_record_intro": {
        "zh": "口头申请由工作人员代为填写（《政府信息公开条例》第二十九条），纸质申请照录。收到之日按第三十一条确定。",
        "en": (
            "Write up an oral request (Art. 29 of the Regulations) or enter a paper one. "
            "The day of receipt follows Art. 31."
        ),
    },
    "web_record_field_applicant": {"zh": "申请人类型", "en": "Applicant type"},
    "web_record_field_form": {"zh": "信息提供形式", "en": "Delivery form"},
    "web_record_field_way": {"zh": "获取途径", "en": "Delivery way"},
    "web_record_field_via": {"zh": "申请提交方式", "en": "How the request came"},
    "web_record_field_on": {
        "zh": "提交/签收/确认日期（默认今天）",
        "en": "Handed in / signed for / confirmed on (default today)",
    },
    "web_record_field_chat": {
        "zh": "申请人对话账号（可选，tg:数字）",
        "en": "Applicant's chat account (optional, tg:ID)",
    },
    "web_record_bad_date": {
        "zh": "日期格式应为 YYYY-MM-DD。",
        "en": "Write the date as YYYY-MM-DD.",
    },
    "web_record_submit": {"zh": "登记申请", "en": "Record the request"},
    "web_record_failed": {
        "zh": "申请未登记，请修改标出的项目。",
        "en": "The request was not recorded; please correct the marked fields.",
    },
    "web_nav_record": {"zh": "登记公开申请", "en": "Record a request"},
    "web_nav_reviews": {"zh": "复议诉讼", "en": "Reviews & lawsuits"},
    "web_reviews_title": {
        "zh": "政府信息公开行政复议、行政诉讼情况",
        "en": "Administrative reconsideration and lawsuits (disclosure)",
    },
    "web_reviews_intro": {
        "zh": "这些案件在本平台之外办理，请在此登记件数；年度报告第四部分据此统计。",
        "en": (
            "These cases are decided outside the desk: enter their counts here; "
            "section 4 of the annual report adds them up."
        ),
    },
    "web_reviews_year": {"zh": "年度", "en": "Year"},
    "web_reviews_show": {"zh": "查看", "en": "Show"},
    "web_reviews_entries": {"zh": "已登记记录", "en": "Entries"},
    "web_reviews_none": {"zh": "本年度尚无登记。", "en": "No entries for this year yet."},
    "web_reviews_at": {"zh": "登记时间", "en": "Entered at"},
    "web_reviews_by": {"zh": "登记人", "en": "By"},
    "web_reviews_kind": {"zh": "类别", "en": "Kind"},
    "web_reviews_result": {"zh": "结果", "en": "Result"},
    "web_reviews_count": {"zh": "件数", "en": "Count"},
    "web_reviews_note": {"zh": "备注（可选）", "en": "Note (optional)"},
    "web_reviews_add": {"zh": "登记", "en": "Add"},
    "web_reviews_done": {
        "zh": "已登记：{year}年 {kind} {result} {count} 件。",
        "en": "Added: {year} {kind} {result} {count}.",
    },
    "web_reviews_same_as": {
        "zh": "与命令行 {command} 相同。",
        "en": "The same as the command line {command}.",
    },
}
CATALOGUE.update(RECORD_MESSAGES)

#: The web console's pages (bot/web/).
WEB_MESSAGES: dict[str, dict[str, str]] = {
    "web_title": {"zh": "为民服务中心工单台", "en": "Service centre ticket desk"},
    "web_login_title": {"zh": "工作人员登录", "en": "Staff login"},
    "web_login_name": {"zh": "账号", "en": "Login"},
    "web_login_password": {"zh": "密码", "en": "Password"},
    "web_login_submit": {"zh": "登录", "en": "Log in"},
    "web_login_wrong": {"zh": "账号或密码不正确。", "en": "Wrong login or password."},
    "web_login_locked": {
        "zh": "登录失败次数过多，请15分钟后再试。",
        "en": "Too many failed logins; try again in 15 minutes.",
    },
    "web_login_needed": {"zh": "请先登录。", "en": "Please log in first."},
    "web_csrf_failed": {
        "zh": "页面已过期，请刷新后重试。",
        "en": "This page has expired; reload it and try again.",
    },
    "web_forbidden": {"zh": "您的角色无权执行此操作。", "en": "Your role may not do this."},
    "web_not_found": {"zh": "没有找到该页面或工单。", "en": "No such page or ticket."},
    "webchat_bad_message": {
        "zh": "消息格式不对，请刷新页面后重试。",
        "en": "The message was not understood; please reload the page and try again.",
    },
    "webchat_title": {"zh": "在线咨询", "en": "Online enquiries"},
    "webchat_log": {"zh": "对话记录", "en": "Conversation"},
    "webchat_input": {"zh": "输入您的问题", "en": "Type your question"},
    "webchat_send": {"zh": "发送", "en": "Send"},
    "webchat_other_lang": {"zh": "English", "en": "中文"},
    "webchat_reconnecting": {
        "zh": "连接中断，正在重新连接…",
        "en": "Connection lost; reconnecting…",
    },
    "webchat_needs_script": {
        "zh": "在线咨询需要启用浏览器的 JavaScript。",
        "en": "The online chat needs JavaScript enabled in the browser.",
    },
    "webchat_slow_down": {
        "zh": "您发送得太快了，请稍等片刻再发。",
        "en": "You are sending messages too fast; please wait a moment.",
    },
    "webchat_bad_code": {
        "zh": "恢复码不正确，请检查后重新输入。",
        "en": "That recovery code is not right; please check it and try again.",
    },
    "webchat_code_title": {"zh": "恢复码", "en": "Recovery code"},
    "webchat_code_show": {"zh": "显示我的恢复码", "en": "Show my recovery code"},
    "webchat_code_hint": {
        "zh": "请保存这个恢复码。换手机或浏览器后输入它，就能继续查看您的工单和回复。不要告诉别人。",
        "en": (
            "Save this code. Enter it on another phone or browser to see your cases and "
            "replies there. Do not share it."
        ),
    },
    "webchat_code_enter": {"zh": "在本设备输入恢复码", "en": "Enter a recovery code here"},
    "webchat_code_use": {"zh": "继续之前的对话", "en": "Continue that conversation"},
    "webchat_open": {"zh": "在线咨询", "en": "Chat with us"},
    "webchat_attach": {
        "zh": "添加照片或PDF文件（每个不超过{mb}MB）",
        "en": "Add a photo or PDF ({mb} MB at most)",
    },
    "webchat_file_sent": {"zh": "已发送文件：{name}", "en": "File sent: {name}"},
    "webchat_file_too_big": {
        "zh": "这个文件太大了（超过{mb}MB），没有收下。请换一张小一点的照片。",
        "en": "That file is over {mb} MB and was not accepted. Please send a smaller photo.",
    },
    "webchat_file_wrong_type": {
        "zh": "只能发送照片（JPG、PNG、WebP）或PDF文件，这个文件没有收下。",
        "en": "Only photos (JPG, PNG, WebP) or PDF files can be sent; this file was not accepted.",
    },
    "webchat_too_long": {
        "zh": "消息太长了（最多 {limit} 个字），请分几条发送。",
        "en": "The message is too long (at most {limit} characters); please send it in parts.",
    },
    "web_logout": {"zh": "退出", "en": "Log out"},
    "web_back": {"zh": "返回工单列表", "en": "Back to the queues"},
    "web_role_staff": {"zh": "工作人员", "en": "staff"},
    "web_role_supervisor": {"zh": "督办负责人", "en": "supervisor"},
    "web_role_admin": {"zh": "管理员", "en": "admin"},
    "web_queue_mine": {"zh": "我的工单", "en": "My tickets"},
    "web_queue_unassigned": {"zh": "待派单", "en": "Unassigned"},
    "web_queue_due": {"zh": "一个工作日内到期", "en": "Due within a working day"},
    "web_queue_overdue": {"zh": "已超期（督办）", "en": "Overdue"},
    "web_queue_rating": {"zh": "待评价（回访）", "en": "Awaiting rating"},
    "web_queue_reopened": {"zh": "重办", "en": "Reopened"},
    "web_queue_all": {"zh": "全部", "en": "All"},
    "web_queue_empty": {"zh": "没有工单。", "en": "No tickets."},
    "web_bulk_changed": {
        "zh": "您打开列表后，该工单已被他人修改，未作处理；请刷新列表后重新选择。",
        "en": "Someone changed this ticket after the list was shown, so it was left alone; refresh the list and select again.",
    },
    "web_refresh": {
        "zh": "刷新列表",
        "en": "Refresh the list",
    },
    "web_more": {
        "zh": "显示前 {shown} 件，共 {total} 件；请用筛选缩小范围。",
        "en": "Showing {shown} of {total}; narrow the list with the filters.",
    },
    "web_more_than": {
        "zh": "显示前 {shown} 件，共 {cap} 件以上；请用筛选缩小范围。",
        "en": "Showing {shown} of more than {cap}; narrow the list with the filters.",
    },
    "web_search": {"zh": "搜索编号、内容、地点", "en": "Search number, text, place"},
    "web_kind": {"zh": "类型", "en": "Kind"},
    "web_assignee": {"zh": "承办人", "en": "Assignee"},
    "web_since": {"zh": "起始日期", "en": "From"},
    "web_until": {"zh": "截止日期", "en": "To"},
    "web_filter": {"zh": "筛选", "en": "Filter"},
    "web_number": {"zh": "编号", "en": "Number"},
    "web_summary": {"zh": "摘要", "en": "Summary"},
    "web_days_left": {"zh": "剩 {n} 个工作日", "en": "{n} working days left"},
    "web_days_over": {"zh": "超期 {n} 个工作日", "en": "{n} working days overdue"},
    "web_extended": {"zh": "已延期", "en": "extended"},
    "web_timeline": {"zh": "办理过程", "en": "Timeline"},
    "web_public": {"zh": "群众可见", "en": "public"},
    "web_internal": {"zh": "内部", "en": "internal"},
    "web_reporter": {"zh": "举报人", "en": "the reporter"},
    "web_actions": {"zh": "办理", "en": "Actions"},
    "web_action_claim": {"zh": "认领", "en": "Claim"},
    "web_action_assign": {"zh": "派单", "en": "Assign"},
    "web_action_transfer": {"zh": "退回/改派", "en": "Transfer"},
    "web_action_note": {"zh": "添加内部备注", "en": "Add internal note"},
    "web_action_reply": {"zh": "回复群众", "en": "Reply to the citizen"},
    "web_action_resolve": {"zh": "办结并答复", "en": "Resolve"},
    "web_action_reject": {"zh": "不予受理", "en": "Reject"},
    "web_action_merge": {"zh": "合并到", "en": "Merge into"},
    "web_action_extend": {"zh": "延期", "en": "Extend"},
    "web_action_reveal": {"zh": "查看举报人身份（留痕）", "en": "Reveal the reporter (audited)"},
    "web_reveal_gone": {
        "zh": "此链接已不再显示举报人身份：只向查看的督办负责人本人显示，{minutes} 分钟内有效。"
        "如需再次查看，请重新点击“查看举报人身份”（将再次留痕）。",
        "en": "This link no longer shows the reporter: only to the supervisor who revealed it, "
        "for {minutes} minutes. To see it again, reveal it again (audited again).",
    },
    "web_field_reply": {"zh": "回复内容", "en": "Reply"},
    "web_field_note": {"zh": "内部备注", "en": "Internal note"},
    "web_field_resolve": {"zh": "办理结果", "en": "Outcome"},
    "web_field_reject": {"zh": "不予受理理由及正确渠道", "en": "Reason and the right channel"},
    "web_field_merge": {"zh": "目标工单编号", "en": "Target ticket number"},
    "web_field_days": {"zh": "延长工作日数", "en": "Working days"},
    "web_field_extend": {"zh": "延期理由", "en": "Reason"},
    "web_field_required": {"zh": "请填写此项。", "en": "Please fill this in."},
    "web_field_too_long": {
        "zh": "内容过长（最多4000字）。",
        "en": "Too long (4000 characters at most).",
    },
    "web_changed_meanwhile": {
        "zh": "该工单在您填写期间已被他人修改，请查看最新内容后再提交；您填写的内容已保留。",
        "en": "Someone changed this ticket meanwhile; check it and submit again. Your text is kept.",
    },
    "web_bulk_title": {"zh": "批量操作结果", "en": "Bulk action result"},
    "web_bulk_selected": {"zh": "对勾选的工单：", "en": "With the ticked tickets:"},
    "web_bulk_apply": {"zh": "执行", "en": "Apply"},
    "web_bulk_assign": {"zh": "派给工作人员", "en": "Assign to a staff member"},
    "web_bulk_transfer": {"zh": "转交部门", "en": "Transfer to a department"},
    "web_bulk_done": {
        "zh": "已完成 {done} 件，未办理 {refused} 件。",
        "en": "{done} done, {refused} refused.",
    },
    "web_bulk_refused": {"zh": "未办理的工单及原因", "en": "Refused tickets and why"},
    "web_bulk_none": {"zh": "请先勾选至少一件工单。", "en": "Tick at least one ticket first."},
    "web_bulk_too_many": {
        "zh": "一次最多处理 {max} 件工单（本次勾选了 {n} 件），请分批操作；未做任何修改。",
        "en": "At most {max} tickets at a time ({n} were ticked); do it in parts. Nothing changed.",
    },
    "web_bulk_bad_action": {"zh": "未知的批量操作。", "en": "Unknown bulk action."},
    "web_bulk_bad_target": {
        "zh": "所选的工作人员或部门不存在；未做任何修改。",
        "en": "No such staff member or department; nothing changed.",
    },
    "web_bulk_bad_id": {
        "zh": "无法识别的工单编号，已忽略。",
        "en": "Not a ticket id this console gave; ignored.",
    },
    "web_held_by_colleague": {
        "zh": "工单 {number} 已由 {assignee} 办理；改派同事的工单需由主管操作。",
        "en": "Ticket {number} is held by {assignee}; only a supervisor may move a colleague's ticket.",
    },
    "web_csv_export": {
        "zh": "导出CSV（当前筛选的全部工单）",
        "en": "Export CSV (every ticket under these filters)",
    },
    "web_csv_received": {"zh": "受理时间", "en": "Received"},
    "web_csv_days_left": {"zh": "剩余工作日", "en": "Working days left"},
    "web_csv_reporter_withheld": {
        "zh": "（举报人身份受保护，不导出；督办负责人可在工单页查看，留痕）",
        "en": "(reporter protected, never exported; a supervisor may reveal it on the ticket page)",
    },
}
CATALOGUE.update(WEB_MESSAGES)

#: The desk's command line (`citizen-desk tickets|staff`).
DESK_CLI_MESSAGES: dict[str, dict[str, str]] = {
    "desk_list_header": {
        "zh": "工单号\t状态\t办结时限\t承办部门\t承办人\t类别",
        "en": "NUMBER\tSTATUS\tDUE\tDEPARTMENT\tASSIGNEE\tCATEGORY",
    },
    "desk_no_tickets": {"zh": "没有工单", "en": "no tickets"},
    "desk_bad_status": {
        "zh": "未知状态 {status}：可用 {choices}",
        "en": "unknown status {status}: choose {choices}",
    },
    "desk_bad_number": {
        "zh": "{text} 不是工单号：请输入 TS-{year}-000001、000001 或 1",
        "en": "{text} is not a ticket number: give TS-{year}-000001, 000001 or 1",
    },
    "desk_phone_not_id": {
        "zh": "{text} 像是电话号码，不是 Telegram 用户编号（数字编号可让该用户向 @userinfobot 查询）",
        "en": (
            "{text} looks like a phone number, not a Telegram user id "
            "(the person can ask @userinfobot for the numeric id)"
        ),
    },
    "desk_bad_user_id": {
        "zh": "{text} 不是 Telegram 用户编号（正整数）",
        "en": "{text} is not a Telegram user id (a positive number)",
    },
}
CATALOGUE.update(DESK_CLI_MESSAGES)

#: The console's admin pages (bot/web/routes_figures.py, routes_accounts.py).
WEB_ADMIN_MESSAGES: dict[str, dict[str, str]] = {
    "web_figures_title": {"zh": "统计报表", "en": "Figures"},
    "web_figures_year": {"zh": "年份", "en": "Year"},
    "web_figures_month": {"zh": "月份", "en": "Month"},
    "web_figures_whole_year": {"zh": "全年", "en": "Whole year"},
    "web_figures_show": {"zh": "查看", "en": "Show"},
    "web_figures_bad_period": {
        "zh": "请填写 {low}–{high} 之间的年份，月份为 1–12 或全年。",
        "en": "Give a year from {low} to {high}, and a month from 1 to 12 or the whole year.",
    },
    "web_figures_same_as": {
        "zh": "与命令行报表相同：{command}",
        "en": "The same report on the command line: {command}",
    },
    "web_accounts_title": {"zh": "账号管理", "en": "Staff accounts"},
    "web_accounts_name": {"zh": "姓名", "en": "Name"},
    "web_accounts_role": {"zh": "角色", "en": "Role"},
    "web_accounts_dept": {"zh": "部门", "en": "Department"},
    "web_accounts_state": {"zh": "状态", "en": "State"},
    "web_accounts_change": {"zh": "修改", "en": "Change"},
    "web_accounts_enabled": {"zh": "启用", "en": "enabled"},
    "web_accounts_disabled": {"zh": "已停用", "en": "disabled"},
    "web_accounts_you": {"zh": "本人", "en": "you"},
    "web_accounts_set_role": {"zh": "改角色", "en": "Set role"},
    "web_accounts_disable": {"zh": "停用", "en": "Disable"},
    "web_accounts_enable": {"zh": "启用", "en": "Enable"},
    "web_accounts_new_password": {"zh": "新密码", "en": "New password"},
    "web_accounts_reset": {"zh": "重设密码", "en": "Reset password"},
    "web_accounts_add": {"zh": "新增账号", "en": "Add an account"},
    "web_accounts_no_dept": {"zh": "（无）", "en": "(none)"},
    "web_accounts_password_rule": {
        "zh": "密码至少 {min} 个字符，不能与账号相同；只保存其 argon2 摘要，不会显示或记录。",
        "en": "A password has at least {min} characters and is not the login; only its argon2 hash is kept, it is never shown or logged.",
    },
    "web_accounts_bad_login": {
        "zh": "账号由字母、数字、“-”“_”“.”组成，不以数字开头，最多 {max} 个字符。",
        "en": "A login is letters, digits, '-', '_' or '.', not starting with a digit, at most {max} characters.",
    },
    "web_accounts_duplicate": {
        "zh": "账号 {login} 已存在。",
        "en": "There is already an account {login}.",
    },
    "web_accounts_bad_role": {"zh": "请选择一个角色。", "en": "Choose a role."},
    "web_accounts_bad_dept": {"zh": "没有这个部门。", "en": "No such department."},
    "web_accounts_bad_telegram": {
        "zh": "Telegram 用户 ID 应为正整数（半角数字，最多 16 位），不需要链接时请留空。",
        "en": "A Telegram user id is a positive whole number (ASCII digits, at most 16); "
        "leave it empty for no link.",
    },
    "web_accounts_telegram_taken": {
        "zh": "该 Telegram 用户已关联账号 {other}。",
        "en": "That Telegram user is already linked to the account {other}.",
    },
    "web_accounts_telegram": {"zh": "Telegram 用户 ID", "en": "Telegram user id"},
    "web_accounts_save_profile": {"zh": "保存资料", "en": "Save details"},
    "web_accounts_bad_state": {"zh": "无效的操作。", "en": "Not a valid change."},
    "web_accounts_password_empty": {"zh": "请填写密码。", "en": "Give a password."},
    "web_accounts_password_short": {
        "zh": "密码至少需要 {min} 个字符。",
        "en": "A password needs at least {min} characters.",
    },
    "web_accounts_password_is_login": {
        "zh": "密码不能与账号相同。",
        "en": "The password may not be the login.",
    },
    "web_accounts_not_yourself": {
        "zh": "不能停用自己的账号，也不能取消自己的管理员角色（须始终保留一名管理员）。",
        "en": "You cannot disable your own account or give up your own admin role (an admin must remain).",
    },
    "web_accounts_done_added": {"zh": "已新增账号 {login}。", "en": "Account {login} added."},
    "web_accounts_done_password": {
        "zh": "已重设 {login} 的密码，其所有登录已退出。",
        "en": "Password of {login} reset; its sessions are ended.",
    },
    "web_accounts_done_role": {"zh": "已更新 {login} 的角色。", "en": "Role of {login} updated."},
    "web_accounts_done_profile": {
        "zh": "已更新 {login} 的姓名、部门和 Telegram 关联。",
        "en": "Name, department and Telegram link of {login} updated.",
    },
    "web_accounts_done_disabled": {
        "zh": "已停用 {login}，该账号无法再登录。",
        "en": "{login} is disabled and can no longer log in.",
    },
    "web_accounts_done_enabled": {"zh": "已启用 {login}。", "en": "{login} is enabled."},
}
CATALOGUE.update(WEB_ADMIN_MESSAGES)


def t(key: str, lang: str, **values: Any) -> str:
    """Return the catalogue string `key` in `lang` (falling back to zh), formatted."""
    texts = CATALOGUE[key]
    text = texts.get(lang) or texts[DEFAULT]
    return text.format(**values) if values else text


def plural(key: str, lang: str, n: int) -> str:
    """`n` with the right form: `<lang>_one` for exactly 1 where the catalogue has it."""
    texts = CATALOGUE[key]
    text = (texts.get(f"{lang}_one") if n == 1 else None) or texts.get(lang) or texts[DEFAULT]
    return text.format(n=n)


def supported(lang: str) -> str:
    """Map a language code (zh-hans, en-GB…) to a supported language."""
    code = lang.lower().split("-")[0].split("_")[0]
    return code if code in LANGUAGES else ("zh" if code.startswith("zh") else "en")
