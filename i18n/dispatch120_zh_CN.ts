<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CallPanel</name>
    <message>
        <location filename="../widgets/call_panel.py" line="+155"/>
        <source>No call is ringing.</source>
        <translation>当前没有振铃的来电。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Answering the call from %1</source>
        <translation>接听 %1 的来电</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>No answered call to hang up.</source>
        <translation>没有可挂断的通话。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Hanging up the call from %1</source>
        <translation>挂断 %1 的来电</translation>
    </message>
    <message>
        <location line="+85"/>
        <source>Answering…</source>
        <translation>正在接听…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Ringing at %1</source>
        <translation>在 %1 振铃</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No calls waiting.</source>
        <translation>没有排队的来电。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 waiting · longest %2</source>
        <translation>%1 个来电排队 · 最长 %2</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Calls at this seat</source>
        <translation>本席来电</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Waiting calls (whole centre)</source>
        <translation>排队来电（全中心）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No call at this seat. Press F5 to be ready for the next call.</source>
        <translation>本席暂无来电。按 F5 置为就绪，接听下一个来电。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answer</source>
        <translation>接听</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Enter or F2 answers the ringing call</source>
        <translation>按 Enter 或 F2 接听振铃中的来电</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enter picks the selected call up at this seat</source>
        <translation>按 Enter 在本席代接所选来电</translation>
    </message>
</context>
<context>
    <name>CloseIncidentDialog</name>
    <message>
        <location filename="../widgets/incident_form.py" line="+127"/>
        <source>Close incident</source>
        <translation>结案</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Why does this incident end?</source>
        <translation>结案原因：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Note (optional):</source>
        <translation>备注（可选）：</translation>
    </message>
</context>
<context>
    <name>CommandRunner</name>
    <message>
        <location filename="../widgets/command_runner.py" line="+88"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 failed — %2</source>
        <translation>%1 失败 — %2</translation>
    </message>
</context>
<context>
    <name>IncidentForm</name>
    <message>
        <location filename="../widgets/incident_form.py" line="+181"/>
        <source>Nothing to save yet.</source>
        <translation>尚无可保存的内容。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Saving the new incident</source>
        <translation>保存新事件</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Saving incident %1</source>
        <translation>保存事件 %1</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Saved the changes to the previous incident first.</source>
        <translation>已先保存上一个事件的修改。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The open form could not be saved; it is kept. Fix it or press Ctrl+S.</source>
        <translation>当前表单无法保存，内容已保留。请修改后按 Ctrl+S 保存。</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>No incident: answer a call or select an incident first.</source>
        <translation>没有事件：请先接听来电或选择一个事件。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Save the incident before closing it.</source>
        <translation>请先保存事件再结案。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Closing incident %1</source>
        <translation>事件 %1 结案</translation>
    </message>
    <message>
        <location line="+59"/>
        <location line="+138"/>
        <source>New incident</source>
        <translation>新建事件</translation>
    </message>
    <message>
        <location line="-137"/>
        <source>Not saved</source>
        <translation>未保存</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+3"/>
        <source>Incident %1</source>
        <translation>事件 %1</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>Saving…</source>
        <translation>保存中…</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Call: %1</source>
        <translation>来电：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No call linked: answer a call with F2, or type a new incident here</source>
        <translation>未关联来电：按 F2 接听来电，或在此直接录入新事件</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>cleared</source>
        <translation>已收车</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Units: %1</source>
        <translation>车辆：%1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Caller location: %1 — confirm the address</source>
        <translation>来电定位：%1 — 请核实地址</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Street, number, landmark</source>
        <translation>街道、门牌号、标志性建筑</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>This incident is closed; your typing is kept but cannot be saved.</source>
        <translation>该事件已结案；您输入的内容已保留，但无法再保存。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Unsaved changes — Ctrl+S saves</source>
        <translation>有未保存的修改 — 按 Ctrl+S 保存</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sent; waiting for the server…</source>
        <translation>已发送，等待服务器确认…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Saved; waiting for the server…</source>
        <translation>已保存，等待服务器确认…</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Incident %1 is closed.</source>
        <translation>事件 %1 已结案。</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>The incident is kept unsaved and no longer linked to the call; press Ctrl+S.</source>
        <translation>事件内容已保留（未保存），并已解除与该来电的关联；请按 Ctrl+S 保存。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>&amp;Address</source>
        <translation>地址(&amp;A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Call&amp;back number</source>
        <translation>回拨号码(&amp;B)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;What happened</source>
        <translation>情况描述(&amp;W)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Patients</source>
        <translation>患者人数(&amp;P)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>P&amp;riority</source>
        <translation>优先级(&amp;R)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Digits only, e.g. 13800138000</source>
        <translation>仅限数字，例如 13800138000</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>What the caller reports: complaint, age, conscious, breathing…</source>
        <translation>呼救者所述：主诉、年龄、意识、呼吸…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Placeholder until triage: I is the most urgent</source>
        <translation>分级功能上线前的临时选项：I 级最紧急</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save incident</source>
        <translation>保存事件</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Close incident…</source>
        <translation>结案…</translation>
    </message>
</context>
<context>
    <name>IncidentQueue</name>
    <message>
        <location filename="../widgets/incident_queue.py" line="+151"/>
        <source>%1 open</source>
        <translation>%1 个未结</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>(no address yet) %1</source>
        <translation>（暂无地址）%1</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Open incidents</source>
        <translation>未结事件</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Prio.</source>
        <translation>级别</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Since call</source>
        <translation>呼入至今</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Units</source>
        <translation>车辆</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Select an incident to load it into the form</source>
        <translation>选择事件即可载入表单</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <location filename="../widgets/labels.py" line="+48"/>
        <source>Available</source>
        <translation>待命</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+46"/>
        <source>Dispatched</source>
        <translation>已派车</translation>
    </message>
    <message>
        <location line="-45"/>
        <location line="+46"/>
        <source>En route</source>
        <translation>出车</translation>
    </message>
    <message>
        <location line="-45"/>
        <location line="+46"/>
        <source>On scene</source>
        <translation>到达现场</translation>
    </message>
    <message>
        <location line="-45"/>
        <location line="+46"/>
        <source>Transporting</source>
        <translation>转运中</translation>
    </message>
    <message>
        <location line="-45"/>
        <location line="+46"/>
        <source>At hospital</source>
        <translation>到达医院</translation>
    </message>
    <message>
        <location line="-45"/>
        <source>Out of service</source>
        <translation>暂停服务</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>ALS</source>
        <translation>监护型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>BLS</source>
        <translation>普通型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Negative pressure</source>
        <translation>负压型</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Open, no unit</source>
        <translation>待派车</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Handed over</source>
        <translation>已交接</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Closed</source>
        <translation>已结案</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Transported to hospital</source>
        <translation>已送医院</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Treated on scene</source>
        <translation>现场处置</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Patient refused care or transport</source>
        <translation>患者拒绝救治或转运</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No patient found</source>
        <translation>未找到患者</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Death confirmed on scene</source>
        <translation>现场确认死亡</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancelled (stands units down)</source>
        <translation>取消（车辆收队）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Duplicate of another incident (stands units down)</source>
        <translation>重复事件（车辆收队）</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>— not set</source>
        <translation>— 未设置</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>I — most urgent</source>
        <translation>I — 最紧急</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>IV — least urgent</source>
        <translation>IV — 最不紧急</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Waiting</source>
        <translation>排队中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ringing</source>
        <translation>振铃</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>On the line</source>
        <translation>通话中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ended</source>
        <translation>已挂断</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Caller hung up</source>
        <translation>呼救者已挂机</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Logged out</source>
        <translation>未登录</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not ready</source>
        <translation>未就绪</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Busy</source>
        <translation>忙碌</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>call ringing</source>
        <translation>来电振铃</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>on a call</source>
        <translation>通话中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>a call rang out unanswered</source>
        <translation>来电振铃未接</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>wrap-up after a call</source>
        <translation>话后处理</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>break</source>
        <translation>小休</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>just logged in</source>
        <translation>刚登录</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>disconnected</source>
        <translation>已断开</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>CONNECTING</source>
        <translation>正在连接</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>SYNCING</source>
        <translation>同步中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ONLINE</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>OFFLINE</source>
        <translation>离线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>LOGIN REFUSED</source>
        <translation>登录被拒</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>The server could not read a message from this seat</source>
        <translation>服务器无法读取本席发送的消息</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The server refused a malformed message</source>
        <translation>服务器拒绝了格式错误的消息</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>This seat&apos;s software version is not supported by the server</source>
        <translation>服务器不支持本席的软件版本</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server does not know this kind of message</source>
        <translation>服务器不认识此类消息</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The server does not know this command</source>
        <translation>服务器不认识此命令</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Invalid input</source>
        <translation>输入无效</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not logged in to the server</source>
        <translation>未登录服务器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not allowed for this seat</source>
        <translation>本席无此权限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Conflict: someone else changed it first</source>
        <translation>冲突：已被他人先行修改</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not possible in the current state</source>
        <translation>当前状态下无法执行</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The unit is not available</source>
        <translation>该车辆不可用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Too many requests; wait a moment</source>
        <translation>请求过于频繁，请稍候</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Server fault; nothing was changed</source>
        <translation>服务器故障，未做任何更改</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Written for another server or seat; not sent</source>
        <translation>为其他服务器或座席录入，未发送</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Answer a call</source>
        <translation>接听来电</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hang up</source>
        <translation>挂断</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ready / not ready</source>
        <translation>就绪/未就绪</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New incident</source>
        <translation>新建事件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Incident change</source>
        <translation>修改事件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unit assignment</source>
        <translation>派车</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unit status change</source>
        <translation>更改车辆状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Closing an incident</source>
        <translation>结案</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../widgets/main_window.py" line="+236"/>
        <source>Select a unit first</source>
        <translation>请先选择车辆</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Setting the seat ready</source>
        <translation>置为就绪</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Setting the seat not ready</source>
        <translation>置为未就绪</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>%1: %2 — the seat keeps retrying</source>
        <translation>%1：%2 — 正在自动重试</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Refused earlier: %1 (%2) — %3</source>
        <translation>此前被拒绝：%1（%2）— %3</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Set not ready</source>
        <translation>置为未就绪</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Set ready</source>
        <translation>置为就绪</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>dispatch120 — 120 dispatch seat %1</source>
        <translation>dispatch120 — 120 调度席 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>[TRAINING]</source>
        <translation>【训练】</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>&amp;Seat</source>
        <translation>座席(&amp;S)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Incident</source>
        <translation>事件(&amp;I)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Units</source>
        <translation>车辆(&amp;U)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Go to</source>
        <translation>跳转(&amp;G)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Set status of selected unit</source>
        <translation>设置所选车辆状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Calls</source>
        <translation>来电</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Incident form</source>
        <translation>事件表单</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Open incidents</source>
        <translation>未结事件</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Unit board</source>
        <translation>车辆看板</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>a call is on the line</source>
        <translation>有通话正在进行</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n command(s) not yet sent</source>
        <translation>
            <numerusform>%n 条命令尚未发送</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the incident form has unsaved changes</source>
        <translation>事件表单有未保存的修改</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Quit the seat?</source>
        <translation>退出座席？</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Really quit? %1.</source>
        <translation>确定退出吗？%1。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unsent commands are kept and sent at the next start.</source>
        <translation>未发送的命令会保留，并在下次启动时发送。</translation>
    </message>
</context>
<context>
    <name>MessageArea</name>
    <message>
        <location filename="../widgets/message_area.py" line="+113"/>
        <source>No messages</source>
        <translation>暂无消息</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Dismiss this message</source>
        <translation>关闭此消息</translation>
    </message>
</context>
<context>
    <name>SeatStartup</name>
    <message>
        <location filename="../widgets/seat_app.py" line="+82"/>
        <source>No seat id is configured for this workstation. Start with --seat-id, or ask IT to set seat_id in dispatch120.toml.</source>
        <translation>本工作站未配置座席编号。请使用 --seat-id 启动，或请 IT 在 dispatch120.toml 中设置 seat_id。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>No login token is stored for seat %1. IT stores it once with:

    dispatch120 credentials set --seat-id %1

(the token is read from standard input and kept in the system keyring).</source>
        <translation>座席 %1 尚未保存登录令牌。请 IT 执行一次：

    dispatch120 credentials set --seat-id %1

（令牌从标准输入读取，保存在系统密钥环中）。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The system keyring, where the seat&apos;s login token is kept, cannot be used.</source>
        <translation>无法使用保存座席登录令牌的系统密钥环。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The seat&apos;s local journal cannot be opened, so calls typed offline could not be kept.</source>
        <translation>无法打开本席的本地日志，离线录入的来电将无法保存。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The training centre (simulated server, calls and ambulances) could not be started.</source>
        <translation>无法启动训练中心（模拟服务器、来电和救护车）。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The settings cannot be used.</source>
        <translation>设置无法使用。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>dispatch120 cannot start</source>
        <translation>dispatch120 无法启动</translation>
    </message>
</context>
<context>
    <name>StatusBanner</name>
    <message>
        <location filename="../widgets/status_banner.py" line="+102"/>
        <source>Seat %1</source>
        <translation>座席 %1</translation>
    </message>
    <message numerus="yes">
        <location line="+15"/>
        <source>%n command(s) waiting to be sent</source>
        <translation>
            <numerusform>%n 条命令等待发送</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>the server refused this seat&apos;s credentials</source>
        <translation>服务器拒绝了本席的登录凭据</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>retry in %1 s</source>
        <translation>%1 秒后重连</translation>
    </message>
    <message numerus="yes">
        <location line="+3"/>
        <source>%n command(s) being sent</source>
        <translation>
            <numerusform>正在发送 %n 条命令</numerusform>
        </translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Calls and incidents typed now are kept and sent when the link returns.</source>
        <translation>现在录入的来电和事件会保留，连接恢复后自动发送。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>TRAINING — simulated calls, not live</source>
        <translation>训练模式 TRAINING — 模拟来电，非真实警情</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This seat is connected to a training server with simulated calls and ambulances.</source>
        <translation>本席连接的是训练服务器，来电和救护车均为模拟。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Local time</source>
        <translation>本地时间</translation>
    </message>
</context>
<context>
    <name>UnitBoard</name>
    <message>
        <location filename="../widgets/unit_board.py" line="+151"/>
        <source>Select a unit on the unit board first (arrow keys).</source>
        <translation>请先在车辆看板上选择车辆（方向键）。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Assigning %1 to incident %2</source>
        <translation>派 %1 执行事件 %2</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Setting %1 to %2</source>
        <translation>将 %1 设为“%2”</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Set status: %1</source>
        <translation>设为：%1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>No manual status change possible</source>
        <translation>无法手动更改状态</translation>
    </message>
    <message>
        <location line="+116"/>
        <source>Command sent; waiting for the server</source>
        <translation>命令已发送，等待服务器确认</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>%1 of %2 available</source>
        <translation>待命 %1 / 共 %2</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Units</source>
        <translation>车辆</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Call sign</source>
        <translation>呼号</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>For</source>
        <translation>持续</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Station</source>
        <translation>站点</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Assign to incident</source>
        <translation>派车</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>F8 assigns the selected unit; right click or Menu key for status</source>
        <translation>F8 派出所选车辆；右键或菜单键更改状态</translation>
    </message>
</context>
</TS>
