"""The words of the incident record, in Chinese (the seat's language) and English.

The record is a document made outside the seat (a command line, a PDF for a complaint or a
court), so it cannot use the seat's Qt translations; the triage questions and answers come
from the protocol files (``resources/protocols``), which hold both languages. Everything
else a record prints is here: section titles, field names, the value labels of the
protocol's enums and one line per event name (``EVENT_LINES``; an event without a line is
printed by its name and data).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("zh", "en")

# (zh, en)
WORDS: dict[str, tuple[str, str]] = {
    "title": ("120 急救事件记录", "120 incident record"),
    "incident": ("事件", "Incident"),
    "created": ("建立时间", "Created"),
    "seat": ("席位", "Seat"),
    "address": ("地址", "Address"),
    "callback": ("回拨号码", "Callback number"),
    "caller": ("来电号码", "Caller number"),
    "priority": ("优先级", "Priority"),
    "determinant": ("判断码", "Determinant"),
    "state": ("状态", "State"),
    "closed": ("结案", "Closed"),
    "description": ("描述", "Description"),
    "patients": ("患者人数", "Patients"),
    "timeline": ("时间线", "Timeline"),
    "time": ("时间", "Time"),
    "who": ("操作者", "By"),
    "event": ("事件", "Event"),
    "triage": ("分级问询路径", "Triage path"),
    "question": ("问题", "Question"),
    "answer": ("回答", "Answer"),
    "result": ("结果", "Result"),
    "plan": ("响应方案", "Plan"),
    "capability": ("能力", "Capability"),
    "units": ("车辆与状态时间", "Units and status times"),
    "unit": ("车辆", "Unit"),
    "station": ("站点", "Station"),
    "assigned": ("派车", "Assigned"),
    "locations": ("位置及来源", "Locations and sources"),
    "source": ("来源", "Source"),
    "position": ("坐标", "Position"),
    "accuracy": ("精度", "Accuracy"),
    "caller_link": ("来电者链接与媒体", "Caller link and media"),
    "prenotifications": ("院前预警及医院答复", "Pre-notifications and hospital answers"),
    "hospital": ("医院", "Hospital"),
    "eta": ("预计到达", "ETA"),
    "hospital_answer": ("医院答复", "Hospital answer"),
    "no_answer": ("未答复", "no answer"),
    "vitals": ("生命体征摘要", "Vitals summary"),
    "strips": ("心电图条", "ECG strips"),
    "notes": ("备注", "Notes"),
    "none": ("无", "none"),
    "open": ("未结案", "open"),
    "calls": ("来电", "Calls"),
    "answered": ("接听", "Answered"),
    "page": ("第 {page} / {pages} 页", "Page {page} of {pages}"),
    "generated": ("依据事件日志生成，截至序号 {seq}", "From the event log up to seq {seq}"),
    "protocol_text_differs": ("（问题文本取自现行协议 {current}，记录时为 {recorded}）",
                              "(question text from the current protocol {current}; recorded with {recorded})"),
    "search_empty": ("没有符合条件的事件", "No incident matches"),
    "search_found": ("共 {n} 起事件", "{n} incidents"),
    "strip_caption": ("{unit} {channel}，{start}，{seconds} 秒，25 mm/s，10 mm/mV，{reason}",
                      "{unit} {channel}, {start}, {seconds} s, 25 mm/s, 10 mm/mV, {reason}"),
    "strip_missing": ("心电图数据不在此数据库中（仅有事件记录）", "the strip's samples are not in this database (event only)"),
    "hr_from_strip": ("心率（由心电图计算）", "Heart rate (from the strip)"),
    "media": ("照片", "Photo"),
    "chat": ("文字对话", "Chat"),
    "from_caller": ("来电者", "caller"),
    "summary": ("患者摘要", "Patient summary"),
    "details": ("内容", "Details"),
    "protocol": ("协议", "Protocol"),
}

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "priority": {"1": ("I 级", "I"), "2": ("II 级", "II"), "3": ("III 级", "III"), "4": ("IV 级", "IV")},
    "unit_status": {
        "available": ("可用", "available"), "dispatched": ("已派车", "dispatched"),
        "en_route": ("出车", "en route"), "on_scene": ("到达现场", "on scene"),
        "transporting": ("转运中", "transporting"), "at_hospital": ("到达医院", "at hospital"),
        "out_of_service": ("停用", "out of service"),
    },
    "incident_state": {
        "open": ("待派", "open"), "dispatched": ("已派车", "dispatched"), "en_route": ("出车", "en route"),
        "on_scene": ("现场", "on scene"), "transporting": ("转运中", "transporting"),
        "at_hospital": ("到达医院", "at hospital"), "handed_over": ("已交接", "handed over"),
        "closed": ("已结案", "closed"),
    },
    "close_reason": {
        "transported": ("已送医", "transported"), "treated_on_scene": ("现场处置", "treated on scene"),
        "refused": ("拒绝", "refused"), "no_patient_found": ("未见患者", "no patient found"),
        "deceased": ("死亡", "deceased"), "cancelled": ("取消", "cancelled"), "duplicate": ("重复", "duplicate"),
    },
    "location_source": {
        "gps": ("手机定位", "phone GPS"), "cell": ("基站定位", "cell"), "wifi": ("WiFi 定位", "Wi-Fi"),
        "landline_address": ("固话登记地址", "landline address"), "caller_link": ("来电者链接", "caller link"),
        "map_click": ("地图点选", "map click"), "map_drag": ("地图拖动", "map drag"),
        "address_search": ("地址搜索", "address search"), "candidate": ("确认候选位置", "confirmed candidate"),
    },
    "ack": {
        "received": ("已收到", "received"), "cath_lab_activated": ("已启动导管室", "cath lab activated"),
        "stroke_team_activated": ("已启动卒中团队", "stroke team activated"),
        "trauma_team_activated": ("已启动创伤团队", "trauma team activated"),
        "diverted": ("无法接收（请改送）", "diverted"),
    },
    "complaint": {
        "stemi": ("STEMI", "STEMI"), "chest_pain": ("胸痛", "chest pain"), "stroke": ("卒中", "stroke"),
        "trauma": ("创伤", "trauma"), "cardiac_arrest": ("心脏骤停", "cardiac arrest"), "other": ("其他", "other"),
    },
    "strip_reason": {"request": ("席位请求", "requested by a seat"), "alarm": ("报警截取", "cut at an alarm")},
    "capability": {"als": ("高级生命支持", "ALS"), "bls": ("基础生命支持", "BLS"),
                   "negative_pressure": ("负压车", "negative pressure")},
    "vital": {"hr": ("心率", "HR"), "spo2": ("血氧", "SpO2"), "nibp_sys": ("收缩压", "NIBP sys"),
              "nibp_dia": ("舒张压", "NIBP dia"), "nibp_map": ("平均压", "NIBP MAP"), "rr": ("呼吸", "RR"),
              "etco2": ("呼末CO2", "EtCO2"), "temp_c": ("体温", "Temp °C")},
    "role": {"seat": ("席位", "seat"), "device": ("车载终端", "device"), "switch": ("交换机", "switch"),
             "system": ("系统", "system"), "hospital": ("医院", "hospital"), "admin": ("管理员", "admin"),
             "trainer": ("培训", "trainer"), "volunteer": ("志愿者", "volunteer")},
}

# One line per event name: templates filled from the event's data plus derived fields
# (``{status_label}``, ``{reason_label}`` …, see app.records.incident.describe).
EVENT_LINES: dict[str, tuple[str, str]] = {
    "call.received": ("来电 {caller_number}", "call from {caller_number}"),
    "call.queued": ("来电排队", "call queued"),
    "call.ringing": ("来电在 {seat_id} 振铃", "call ringing at {seat_id}"),
    "call.ring_timeout": ("{seat_id} 未接听（超时）", "not answered at {seat_id} (timeout)"),
    "call.answered": ("{seat_id} 接听来电", "call answered at {seat_id}"),
    "call.abandoned": ("来电者挂断（未接听）", "caller hung up before answer"),
    "call.ended": ("通话结束", "call ended"),
    "call.attached": ("重复来电 {call_id} 并入本事件", "repeat call {call_id} joined this incident"),
    "call.location_added": ("新增位置：{location_label}", "location added: {location_label}"),
    "incident.created": ("建立事件：{address}", "incident created: {address}"),
    "incident.updated": ("修改：{changes_text}", "changed: {changes_text}"),
    "incident.located": ("定位：{lat:.5f}, {lon:.5f}（{source_label}）", "located at {lat:.5f}, {lon:.5f} ({source_label})"),
    "incident.closed": ("结案：{reason_label}", "closed: {reason_label}"),
    "incident.destination_set": ("目的医院 {hospital_name}", "destination {hospital_name}"),
    "unit.assigned": ("派车 {call_sign}", "assigned {call_sign}"),
    "unit.status_changed": ("{call_sign} {status_label}", "{call_sign} {status_label}"),
    "unit.recommendation_decided": ("选用推荐第 {rank} 位 {unit_id}", "chose recommendation #{rank} {unit_id}"),
    "triage.answered": ("问询：{question_text} → {answer_label}", "asked: {question_text} → {answer_label}"),
    "triage.completed": ("判断码 {determinant}，{priority_label}", "determinant {determinant}, priority {priority_label}"),
    "triage.arrest_recognised": ("识别心脏骤停", "cardiac arrest recognised"),
    "cpr.started": ("开始电话指导 CPR（{rate_per_min}/分）", "telephone CPR started ({rate_per_min}/min)"),
    "cpr.stopped": ("CPR 指导结束（按压 {compressions} 次）", "telephone CPR stopped ({compressions} compressions)"),
    "prenotify.sent": ("院前预警发往 {hospital_name}", "pre-notification sent to {hospital_name}"),
    "prenotify.acknowledged": ("{hospital_name} 答复：{response_label}", "{hospital_name} answered: {response_label}"),
    "telemetry.strip_stored": ("保存心电图条 {channel}（{seconds} 秒，{reason_label}）",
                               "ECG strip stored {channel} ({seconds} s, {reason_label})"),
    "call.link_created": ("发送来电者链接（{via}）", "caller link sent ({via})"),
    "call.link_opened": ("来电者打开链接", "caller opened the link"),
    "call.link_consented": ("来电者同意共享", "caller consented to share"),
    "call.link_located": ("来电者共享位置", "caller shared the location"),
    "call.link_location_refused": ("来电者拒绝共享位置", "caller refused to share the location"),
    "call.link_revoked": ("链接失效", "link revoked"),
    "call.chat_sent": ("发给来电者：{text}", "to the caller: {text}"),
    "call.chat_received": ("来电者：{text}", "caller: {text}"),
    "call.guidance_pushed": ("推送指导卡片 {card_id}", "guidance card {card_id} pushed"),
    "call.photo_received": ("收到照片 {media_id}", "photo received {media_id}"),
    "call.photo_refused": ("照片未保存", "photo not kept"),
    "call.media_purged": ("照片按保存期限删除", "photos deleted under retention"),
    "responders.alerted": ("呼叫志愿者", "volunteers alerted"),
    "responders.responded": ("志愿者响应", "volunteer responded"),
    "responders.aed_assigned": ("指派 AED", "AED assigned"),
}


def word(key: str, lang: str, **fields: object) -> str:
    """The record's word ``key`` in ``lang`` (``zh`` or ``en``), filled with ``fields``."""
    text = WORDS[key][LANGUAGES.index(lang)]
    return text.format(**fields) if fields else text


def label(kind: str, value: object, lang: str) -> str:
    """The label of an enum value (``label("unit_status", "en_route", "zh")``); the value itself if unknown."""
    if value is None:
        return "–"
    pair = LABELS.get(kind, {}).get(str(value))
    return pair[LANGUAGES.index(lang)] if pair else str(value)


def labels(kind: str) -> Mapping[str, tuple[str, str]]:
    return LABELS[kind]
