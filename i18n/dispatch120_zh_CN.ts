<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>CallLocationView</name>
    <message>
        <location filename="../widgets/location_panel.py" line="+152"/>
        <source>%1 ago</source>
        <translation>%1前</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>(stale)</source>
        <translation>（已过时）</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>Caller location: none from the network — ask the caller</source>
        <translation>来电位置：网络未提供 — 请询问来电人</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Caller location: %1</source>
        <translation>来电位置：%1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1 and %2 are %3 apart — ask the caller where they are</source>
        <translation>%1 与 %2 定位相差 %3 — 请向来电人核实位置</translation>
    </message>
</context>
<context>
    <name>CallPanel</name>
    <message>
        <location filename="../widgets/call_panel.py" line="+198"/>
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
        <location line="+159"/>
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
        <location line="+27"/>
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
        <source>The caller says</source>
        <translation>呼救者说</translation>
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
        <location line="+7"/>
        <source>Enter or F2 answers the ringing call</source>
        <translation>按 Enter 或 F2 接听振铃中的来电</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enter picks the selected call up at this seat</source>
        <translation>按 Enter 在本席代接所选来电</translation>
    </message>
    <message>
        <location line="-197"/>
        <source>Asking the caller</source>
        <translation>向来电者提问</translation>
    </message>
    <message>
        <location line="+190"/>
        <source>Ask the caller</source>
        <translation>向来电者提问</translation>
    </message>
    <message>
        <location line="-90"/>
        <source>You asked: %1</source>
        <translation>你问：%1</translation>
    </message>
    <message>
        <location line="+94"/>
        <source>Ask the caller… (F3, Enter sends)</source>
        <translation>向来电者提问……（F3，回车发送）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Training: type a question to the simulated caller and press Enter</source>
        <translation>培训：输入要问模拟来电者的问题，按回车发送</translation>
    </message>
</context>
<context>
    <name>CallerLinkPanel</name>
    <message>
        <location filename="../widgets/caller_link_panel.py" line="+184"/>
        <location line="+167"/>
        <source>Send caller link</source>
        <translation>发送呼救链接</translation>
    </message>
    <message>
        <location line="-160"/>
        <location line="+7"/>
        <source>Send message</source>
        <translation>发送消息</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Push guidance card</source>
        <translation>推送急救指导卡</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>No link sent</source>
        <translation>未发送链接</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>No call</source>
        <translation>无通话</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>location refused</source>
        <translation>拒绝共享位置</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>location shared</source>
        <translation>位置已共享</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>video live</source>
        <translation>视频已接通</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Caller</source>
        <translation>呼救人</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Dispatcher</source>
        <translation>调度员</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>The caller refused to share the location: ask for the exact address.</source>
        <translation>来电者拒绝共享位置：请询问详细地址。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A photo from the caller was refused (%1, %2 MB): nothing was kept.</source>
        <translation>来电者的照片被拒收（%1，%2 MB）：未保存任何内容。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The caller opened the link; waiting for the location.</source>
        <translation>来电者已打开链接，正在等待位置。</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>not an image</source>
        <translation>不是图片</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Caller link</source>
        <translation>呼救链接</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Read out</source>
        <translation>口述</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>SMS</source>
        <translation>短信</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>QR code</source>
        <translation>二维码</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Message to the caller, Enter sends</source>
        <translation>给呼救人的消息，回车发送</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send question</source>
        <translation>发送问题</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Push card</source>
        <translation>推送指导卡</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Record still to the incident</source>
        <translation>截取画面存入事件</translation>
    </message>
</context>
<context>
    <name>CloseIncidentDialog</name>
    <message>
        <location filename="../widgets/incident_form.py" line="+128"/>
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
        <location filename="../widgets/command_runner.py" line="+85"/>
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
    <name>ComplaintPicker</name>
    <message>
        <location filename="../widgets/questionnaire.py" line="+107"/>
        <source>Change chief complaint</source>
        <translation>更改主诉</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Type to search: 胸痛, stroke, 10 …</source>
        <translation>输入搜索：胸痛、卒中、10 …</translation>
    </message>
</context>
<context>
    <name>CprCoach</name>
    <message>
        <location filename="../widgets/cpr_coach.py" line="+356"/>
        <source>Put the phone on speaker and keep it next to the patient.</source>
        <translation>把电话开成免提，放在患者身边。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send someone for the nearest AED (automatic defibrillator) now — then come back and tell me when it is here.</source>
        <translation>马上请人去取最近的AED（自动体外除颤器）——取来后告诉我。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Lay the baby on its back on a firm, flat surface.</source>
        <translation>让婴儿仰卧在坚硬平整的表面上。</translation>
    </message>
    <message>
        <source>Put two fingers in the centre of the chest, just below the nipple line.</source>
        <translation type="vanished">两根手指放在胸部正中、两乳头连线稍下方。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Push down about 4 cm (one third of the chest), then let the chest come all the way up.</source>
        <translation>向下按压约4厘米（胸廓厚度的三分之一），然后让胸廓完全回弹。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Lay the child flat on their back on the floor.</source>
        <translation>让孩子平躺在地上。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Put the heel of one hand (or both hands for a big child) in the centre of the chest.</source>
        <translation>一只手掌根（大孩子用双手）放在胸部正中。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Push down about 5 cm (one third of the chest), then let the chest come all the way up.</source>
        <translation>向下按压约5厘米（胸廓厚度的三分之一），然后让胸廓完全回弹。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Lay the patient flat on their back on the floor; kneel beside the chest.</source>
        <translation>让患者平躺在地上，您跪在患者胸部旁边。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Put the heel of one hand in the centre of the chest, the other hand on top; lock your elbows.</source>
        <translation>一只手掌根放在胸部正中，另一只手叠在上面，双臂伸直。</translation>
    </message>
    <message>
        <source>Push down hard, at least 5 cm, then let the chest come all the way up.</source>
        <translation type="vanished">用力向下按压至少5厘米，然后让胸廓完全回弹。</translation>
    </message>
    <message>
        <location line="-45"/>
        <source>Depth 5–6 cm (adult)</source>
        <translation>按压深度5–6厘米（成人）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Depth about 5 cm — one third of the chest (child)</source>
        <translation>按压深度约5厘米——胸廓厚度的三分之一（儿童）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Depth about 4 cm — one third of the chest (infant)</source>
        <translation>按压深度约4厘米——胸廓厚度的三分之一（婴儿）</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Keep the baby&apos;s head level. Cover the baby&apos;s mouth and nose with your mouth and give 5 gentle breaths, each just enough to make the chest rise.</source>
        <translation>让婴儿头部保持平直。用嘴同时盖住婴儿的口和鼻，轻轻吹气5次，每次看到胸部起伏即可。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Put two fingers (or both thumbs, hands around the chest) in the centre of the chest, just below the nipple line.</source>
        <translation>把两根手指（或双手环抱胸部、用两个拇指）放在胸部正中、两乳头连线稍下方。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Tilt the head back and lift the chin. Pinch the nose, seal your mouth over the child&apos;s mouth and give 5 rescue breaths, each just enough to make the chest rise.</source>
        <translation>仰头抬下巴。捏住鼻子，用嘴包住孩子的嘴，吹气5次，每次看到胸部起伏即可。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Tilt the head back and lift the chin. Pinch the nose, seal your mouth over theirs and give 5 rescue breaths, each about one second, just enough to make the chest rise.</source>
        <translation>仰头抬下巴。捏住鼻子，用嘴包住患者的嘴，吹气5次，每次约1秒，看到胸部起伏即可。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Push down hard, 5 to 6 cm, then let the chest come all the way up.</source>
        <translation>用力向下按压5到6厘米，然后让胸部完全回弹。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Push with my beat and count out loud: one, two, three, four…</source>
        <translation>跟着我的节拍按压，大声数：一、二、三、四……</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Do not stop. If someone else can take over, swap every two minutes without pausing.</source>
        <translation>不要停。如果有人可以替换，每两分钟换一次人，不要中断。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>If you cannot or will not give breaths, do not wait: just push, hard and fast, without stopping.</source>
        <translation>如果您不能或不愿吹气，不要等：只按压，用力、快速、不要停。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Push with my beat and count out loud up to 30; then give 2 breaths and push again at once.</source>
        <translation>跟着我的节拍按压，大声数到30；然后吹气2次，马上接着按压。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Keep going: 30 pushes, 2 breaths. If someone else can take over, swap every two minutes.</source>
        <translation>继续：按压30次，吹气2次。有人能接替时，每两分钟换一次人。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>When the AED arrives: switch it on and do what it says; keep pushing until it tells you to stop.</source>
        <translation>AED取来后：打开电源，按语音提示操作；它让停之前继续按压。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Keep going until the ambulance crew takes over or the patient wakes up and breathes normally.</source>
        <translation>一直按到救护人员接手，或患者醒来并恢复正常呼吸。</translation>
    </message>
    <message>
        <location line="+199"/>
        <source>Recording the start of compressions</source>
        <translation>记录开始按压</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Recording the end of compressions</source>
        <translation>记录停止按压</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Push guidance card</source>
        <translation>推送急救指导卡片</translation>
    </message>
    <message>
        <location line="+63"/>
        <source>Push: %1 of %2, then 2 breaths.</source>
        <translation>按压：第%1次 / 共%2次，然后吹气2次。</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>Telephone CPR — %1</source>
        <translation>电话指导心肺复苏 — %1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>✓ Scene made safe (caller confirmed) — keep it safe:</source>
        <translation>✓ 现场已安全（来电者已确认）——继续保持安全：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>⚠ SCENE SAFETY FIRST — say this before the caller touches the patient, then Space when it is safe:</source>
        <translation>⚠ 先确保现场安全——在来电者接触患者之前先说这些，确认安全后按空格：</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Make the scene safe first (above).</source>
        <translation>先确保现场安全（见上方）。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Space: the caller says it is safe. Compressions start only after that.</source>
        <translation>空格：来电者说现场已安全。之后才能开始按压。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Give %1 rescue breaths first.</source>
        <translation>先吹气%1次。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Space: breaths given — start pushing (30 : 2) · H: the caller cannot or will not — push only</source>
        <translation>空格：已吹气——开始按压（30 : 2）· H：来电者不能或不愿吹气——只按压</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Tell the caller to push now.</source>
        <translation>让来电者现在开始按压。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Space when the caller starts pushing.</source>
        <translation>来电者开始按压时按空格。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Give 2 breaths now.</source>
        <translation>现在吹气2次。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Space when the caller pushes again (the beat resumes by itself after %1 s).</source>
        <translation>来电者重新按压时按空格（%1秒后节拍自动恢复）。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>H: the caller stops giving breaths — push only.</source>
        <translation>H：来电者不再吹气——只按压。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Push hard and fast — do not stop.</source>
        <translation>用力快速按压——不要停。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>B: the caller can give breaths after all — 30 : 2.</source>
        <translation>B：来电者可以吹气了——30 : 2。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Answer → arrest recognised</source>
        <translation>接听 → 识别心脏骤停</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Answer → first compression</source>
        <translation>接听 → 首次按压</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>running</source>
        <translation>计时中</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: %2 (target %3) %4</source>
        <translation>%1：%2（目标 %3）%4</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 / min  (+ / −)</source>
        <translation>%1 次/分  （+ / −）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Compressions: %1</source>
        <translation>按压次数：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>(%1 of 30)</source>
        <translation>（第%1次 / 共30次）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Cycle %1: %2 of 2:00</source>
        <translation>第 %1 轮：%2 / 2:00</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>— swap rescuers</source>
        <translation>—— 请换人按压</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not pushing yet</source>
        <translation>尚未开始按压</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Caller&apos;s phone: no caller link yet (Ctrl+Shift+K sends one); cards to send: %1</source>
        <translation>来电者手机：尚未发送链接（Ctrl+Shift+K发送）；要发送的卡片：%1</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Caller&apos;s phone shows: %1 ✓</source>
        <translation>来电者手机已显示：%1 ✓</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Caller&apos;s phone: G sends %1</source>
        <translation>来电者手机：按G发送%1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Space next (safe · breaths given · pushing)</source>
        <translation>空格 下一步（已安全 · 已吹气 · 开始按压）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Space start compressions</source>
        <translation>空格 开始按压</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>+/− rate</source>
        <translation>+/− 频率</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>↓/N next step</source>
        <translation>↓/N 下一步</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>H push only · B breaths again</source>
        <translation>H 只按压 · B 恢复吹气</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A/C/I adult/child/infant</source>
        <translation>A/C/I 成人/儿童/婴儿</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>G cards to the caller&apos;s phone</source>
        <translation>G 发送卡片到来电者手机</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>S crew arrived · R patient breathes · O stop (other)</source>
        <translation>S 急救人员到达 · R 患者恢复呼吸 · O 停止（其他）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Esc questions</source>
        <translation>Esc 返回问题</translation>
    </message>
    <message>
        <source>Not pushing yet — Space when the caller starts</source>
        <translation type="vanished">尚未按压 —— 呼救者开始按压时按空格</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>No sound on this seat (%1): count the beat aloud from the dot.</source>
        <translation>本席位无声音（%1）：请看圆点节拍大声数。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Adult (A)</source>
        <translation>成人 (A)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Child 1–puberty (C)</source>
        <translation>儿童 1岁至青春期 (C)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Infant under 1 (I)</source>
        <translation>婴儿 1岁以下 (I)</translation>
    </message>
    <message>
        <source>Telephone CPR — hands only</source>
        <translation type="vanished">电话指导心肺复苏 —— 单纯胸外按压</translation>
    </message>
    <message>
        <source>Space start compressions · +/− rate · ↓/N next step · A/C/I adult/child/infant · S crew arrived · R patient breathes · O stop (other) · Esc questions</source>
        <translation type="vanished">空格 开始按压 · +/− 频率 · ↓/N 下一步 · A/C/I 成人/儿童/婴儿 · S 急救人员到达 · R 患者恢复呼吸 · O 停止（其他）· Esc 返回问题</translation>
    </message>
</context>
<context>
    <name>DestinationPanel</name>
    <message>
        <location filename="../widgets/destination_panel.py" line="+158"/>
        <source>missing: %1</source>
        <translation>缺少：%1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>matches; no %1</source>
        <translation>符合；无%1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>matches</source>
        <translation>符合</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>No incident in the form.</source>
        <translation>表单中没有事件。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Locate the incident to rank hospitals by travel time.</source>
        <translation>请先定位事件，才能按行程时间排序医院。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Needs: %1</source>
        <translation>需要：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>preferred: %1</source>
        <translation>优先：%1</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No hospital to suggest.</source>
        <translation>没有可建议的医院。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Setting the destination</source>
        <translation>设置送往医院</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>#</source>
        <translation>序号</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Hospital</source>
        <translation>医院</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Travel</source>
        <translation>行程</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Capability</source>
        <translation>救治能力</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>ED and why</source>
        <translation>急诊状态与理由</translation>
    </message>
</context>
<context>
    <name>DestinationReasonDialog</name>
    <message>
        <location line="-165"/>
        <source>Another hospital</source>
        <translation>改送其他医院</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 instead of %2</source>
        <translation>送%1而不是%2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>HospitalConsole</name>
    <message>
        <location filename="../widgets/hospital_console.py" line="+191"/>
        <location line="+87"/>
        <source>Export FHIR…</source>
        <translation>导出 FHIR…</translation>
    </message>
    <message>
        <location line="-61"/>
        <source>No pre-notification yet</source>
        <translation>尚无院前预警</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{complaint} — {sex}, {age} y — {unit}</source>
        <translation>{complaint} — {sex}，{age} 岁 — {unit}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>ETA {minutes} min (sent {time} UTC)</source>
        <translation>预计 {minutes} 分钟到达（发送于 {time} UTC）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Dispatch triage {determinant}, priority {priority}</source>
        <translation>调度分级 {determinant}，优先级 {priority}</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{lead}  25 mm/s  10 mm/mV  {seconds:.1f} s from {start} (device time)</source>
        <translation>{lead}  25 mm/s  10 mm/mV  {seconds:.1f} 秒，起于 {start}（设备时间）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>No ECG in this pre-notification</source>
        <translation>此预警未附心电图</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answered: {response}</source>
        <translation>已回复：{response}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not answered yet</source>
        <translation>尚未回复</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Could not write {path}: {error}</source>
        <translation>无法写入 {path}：{error}</translation>
    </message>
</context>
<context>
    <name>HospitalWindow</name>
    <message>
        <location filename="../widgets/hospital_window.py" line="+118"/>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+1"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Offline: reconnecting</source>
        <translation>离线：正在重连</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Token refused: store a new one with dispatch120 credentials set</source>
        <translation>令牌被拒绝：请用 dispatch120 credentials set 保存新令牌</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>dispatch120 — hospital pre-notifications — %1</source>
        <translation>dispatch120 — 医院预通知 — %1</translation>
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
        <location line="+21"/>
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
        <location line="+147"/>
        <source>New incident</source>
        <translation>新建事件</translation>
    </message>
    <message>
        <location line="-146"/>
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
        <location line="+8"/>
        <source>%1 (from the confirmed location) — type to give another</source>
        <translation>%1（来自已确认的位置）— 可输入其他地址</translation>
    </message>
    <message>
        <location line="+3"/>
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
        <location line="+19"/>
        <source>Incident %1 is closed.</source>
        <translation>事件 %1 已结案。</translation>
    </message>
    <message>
        <location line="+37"/>
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
    <name>IncidentLocationBox</name>
    <message>
        <location filename="../widgets/location_panel.py" line="+120"/>
        <source>No caller position to confirm: search the address or click on the map.</source>
        <translation>没有可确认的来电位置：请搜索地址或在地图上点选。</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Setting the incident location</source>
        <translation>设置事件位置</translation>
    </message>
    <message>
        <location line="+76"/>
        <source>not set — Ctrl+Shift+L confirms the caller location</source>
        <translation>未设置 — Ctrl+Shift+L 确认来电位置</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>%1 ago</source>
        <translation>%1前</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1, %2 — %3 by %4 %5</source>
        <translation>%1, %2 — %3，由 %4 设置 %5</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>No named street within 1 km</source>
        <translation>1 公里内没有有名称的道路</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>near %1 (%2)</source>
        <translation>约 %1 附近 (%2)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>The house nearest to the caller&apos;s fix, not an address the caller gave: confirm it with the caller</source>
        <translation>距来电定位最近的门牌，并非来电者所说的地址：请与来电者核实</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Location:</source>
        <translation>位置：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Confirm caller location</source>
        <translation>确认来电位置</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Search address</source>
        <translation>搜索地址</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Address search unavailable: no city map imported</source>
        <translation>地址搜索不可用：未导入城市地图</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Search address or place (partial, Chinese or Latin), Enter picks — Ctrl+Shift+F</source>
        <translation>搜索地址或地点（可输入部分、中文或拉丁字母），回车选择 — Ctrl+Shift+F</translation>
    </message>
</context>
<context>
    <name>IncidentQueue</name>
    <message>
        <location filename="../widgets/incident_queue.py" line="+153"/>
        <source>%1 open</source>
        <translation>%1 个未结</translation>
    </message>
    <message>
        <location line="+13"/>
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
    <name>Kpi</name>
    <message>
        <location filename="../widgets/seat_kpi.py" line="+55"/>
        <source>Calls offered</source>
        <translation>呼入电话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Calls answered</source>
        <translation>接听电话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answered within 10 s</source>
        <translation>10秒接听率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answer time</source>
        <translation>接听时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Call processing</source>
        <translation>受理时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Departure within 3 min</source>
        <translation>3分钟出车率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Response time</source>
        <translation>反应时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Empty runs</source>
        <translation>空车率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dispatches per call</source>
        <translation>每通电话派车数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pre-notified (priority I)</source>
        <translation>院前预警率（I级）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Arrests recognised on the phone</source>
        <translation>电话识别心脏骤停率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>T-CPR: first compression</source>
        <translation>T-CPR：首次按压时间</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>%1 s (p90 %2 s)</source>
        <translation>%1 秒（p90 %2 秒）</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>met</source>
        <translation>达标</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>missed</source>
        <translation>未达标</translation>
    </message>
    <message>
        <location line="+150"/>
        <source>My shift…</source>
        <translation>本班指标…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>My shift</source>
        <translation>本班指标</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>not connected to a server</source>
        <translation>未连接服务器</translation>
    </message>
</context>
<context>
    <name>KpiDashboard</name>
    <message>
        <location filename="../widgets/kpi_dashboard.py" line="+401"/>
        <source>Track playback is not available here.</source>
        <translation>此处无法回放轨迹。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Could not open the track: %1</source>
        <translation>无法打开轨迹：%1</translation>
    </message>
    <message>
        <location line="+121"/>
        <source>Play track</source>
        <translation>回放轨迹</translation>
    </message>
    <message>
        <location line="-189"/>
        <source>Computing %1 – %2 …</source>
        <translation>正在计算 %1 – %2 …</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Incident records are not available here.</source>
        <translation>此处无法查看事件档案。</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+24"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location line="-11"/>
        <source>Could not open the record: %1</source>
        <translation>无法打开档案：%1</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>Could not update: %1</source>
        <translation>无法更新：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 – %2 (%3) · computed from the event log at %4</source>
        <translation>%1 – %2（%3）· %4 由事件日志计算</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No call and no incident in this period.</source>
        <translation>该时段内没有电话和事件。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>target %1</source>
        <translation>目标 %1</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>Priority %1</source>
        <translation>%1级</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not set</source>
        <translation>未定级</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no seat</source>
        <translation>无席位</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>dispatch120 — KPI dashboard</source>
        <translation>dispatch120 — 指标看板</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Period</source>
        <translation>时段</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Last 7 days</source>
        <translation>近7天</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Last 30 days</source>
        <translation>近30天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>This month</source>
        <translation>本月</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Last month</source>
        <translation>上月</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Chosen days</source>
        <translation>自选日期</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Refresh (F5)</source>
        <translation>刷新 (F5)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Trends</source>
        <translation>趋势</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Distributions</source>
        <translation>分布</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>By seat</source>
        <translation>按席位</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>By priority</source>
        <translation>按优先级</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Incident record</source>
        <translation>事件档案</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Answered within 10 s by day (%) — dashed: target 95 %</source>
        <translation>每日10秒接听率（%）— 虚线：目标 95 %</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Departure within 3 min by day (%) — dashed: target 95 %</source>
        <translation>每日3分钟出车率（%）— 虚线：目标 95 %</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Call processing by day (s) — dashed: target 60 s</source>
        <translation>每日受理时间（秒）— 虚线：目标 60 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Answer time (s), calls — dashed: 10 s</source>
        <translation>接听时间（秒），电话数 — 虚线：10 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Call processing (s), incidents — dashed: target 60 s</source>
        <translation>受理时间（秒），事件数 — 虚线：目标 60 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>mean</source>
        <translation>平均</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>p90</source>
        <translation>p90</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seat</source>
        <translation>席位</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Incident id</source>
        <translation>事件编号</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open record</source>
        <translation>打开档案</translation>
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
    <message>
        <location line="+33"/>
        <source>ASYSTOLE</source>
        <translation>心脏停搏</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>VENTRICULAR FIBRILLATION</source>
        <translation>心室颤动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>VENTRICULAR TACHYCARDIA</source>
        <translation>室性心动过速</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HR low</source>
        <translation>心率过低</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HR high</source>
        <translation>心率过高</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>SpO2 low</source>
        <translation>血氧饱和度低</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>SpO2 critically low</source>
        <translation>血氧饱和度严重过低</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>NIBP systolic low</source>
        <translation>无创收缩压过低</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>NIBP systolic high</source>
        <translation>无创收缩压过高</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Respiration rate low</source>
        <translation>呼吸频率过低</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Respiration rate high</source>
        <translation>呼吸频率过高</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>EtCO2 low</source>
        <translation>呼气末二氧化碳过低</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>EtCO2 high</source>
        <translation>呼气末二氧化碳过高</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ECG noise/artefact: no HR from ECG</source>
        <translation>心电噪声/伪差：无法从心电图计算心率</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>GPS</source>
        <translation>GPS</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cell</source>
        <translation>基站</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Wi-Fi</source>
        <translation>Wi-Fi</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Landline registered address</source>
        <translation>固话登记地址</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>SMS link</source>
        <translation>短信链接</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>clicked on the map</source>
        <translation>地图点选</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>moved on the map</source>
        <translation>地图拖动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>address search</source>
        <translation>地址搜索</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>confirmed caller location</source>
        <translation>确认来电位置</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>accuracy unknown</source>
        <translation>精度未知</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>emergency</source>
        <translation>紧急</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>urgent</source>
        <translation>尽快</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>routine</source>
        <translation>常规</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>fastest capable unit</source>
        <translation>最快到达的合格车辆</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>later than the first suggestion</source>
        <translation>比首选车辆晚到</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>capability matches the plan</source>
        <translation>能力符合调度方案</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ALS unit for a BLS plan</source>
        <translation>BLS 方案派 ALS 车</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>BLS unit for an ALS plan</source>
        <translation>ALS 方案只有 BLS 能力</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not the capability the plan needs</source>
        <translation>不具备方案所需能力</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no triage plan yet</source>
        <translation>尚无分级方案</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no road route (river, one-way, island)</source>
        <translation>无道路可达（河流、单行道、孤岛）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>position too far from any road</source>
        <translation>位置离道路太远</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>position unknown</source>
        <translation>位置未知</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no GPS: assumed at its station</source>
        <translation>无 GPS：按在站处理</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>returning from hospital</source>
        <translation>从医院返回中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>leaves an area without cover</source>
        <translation>会使辖区失去覆盖</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Unit is closer than shown</source>
        <translation>车辆实际比显示更近</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Crew skills suit the patient</source>
        <translation>车组技能更适合该患者</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Road closure or traffic</source>
        <translation>道路封闭或拥堵</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep an area covered</source>
        <translation>保持辖区覆盖</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>First suggestion not really free</source>
        <translation>首选车辆实际不空闲</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Other (say why)</source>
        <translation>其他（请说明）</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Link sent</source>
        <translation>链接已发送</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Link opened</source>
        <translation>链接已打开</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Caller consented</source>
        <translation>呼救人已同意</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Link closed</source>
        <translation>链接已关闭</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>CPR — adult</source>
        <translation>心肺复苏 — 成人</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CPR — adult, rescue breaths first</source>
        <translation>心肺复苏——成人（先吹气）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scene safety first</source>
        <translation>先确保现场安全</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CPR — child</source>
        <translation>心肺复苏 — 儿童</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CPR — infant</source>
        <translation>心肺复苏 — 婴儿</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>AED use</source>
        <translation>使用AED</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recovery position</source>
        <translation>复原卧位</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bleeding control</source>
        <translation>止血</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Choking</source>
        <translation>气道异物（噎住）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Childbirth</source>
        <translation>紧急分娩</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Burns</source>
        <translation>烧烫伤</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seizure</source>
        <translation>抽搐</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>hands only</source>
        <translation>单纯按压</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>rescue breaths first, then 30:2</source>
        <translation>先吹气，再30:2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>child: rescue breaths first, then 30:2</source>
        <translation>儿童：先吹气，再30:2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>infant: rescue breaths first, then 30:2</source>
        <translation>婴儿：先吹气，再30:2</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Received</source>
        <translation>已收到</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cath lab activated</source>
        <translation>导管室已启动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stroke team activated</source>
        <translation>卒中团队已启动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Trauma team activated</source>
        <translation>创伤团队已启动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Diverted: choose another hospital</source>
        <translation>无法接收：请另选医院</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>STEMI</source>
        <translation>STEMI（ST段抬高型心梗）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Chest pain</source>
        <translation>胸痛</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stroke</source>
        <translation>卒中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Major trauma</source>
        <translation>严重创伤</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cardiac arrest</source>
        <translation>心脏骤停</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+57"/>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <location line="-54"/>
        <source>male</source>
        <translation>男</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>female</source>
        <translation>女</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>sex unknown</source>
        <translation>性别不详</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>nearest</source>
        <translation>最近</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>has what the patient needs</source>
        <translation>具备患者所需救治能力</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no special need: by time</source>
        <translation>无特殊需求：按时间</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>lacks a needed capability</source>
        <translation>缺少所需救治能力</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>lacks a preferred capability</source>
        <translation>缺少优先的专科能力</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>trauma centre level I</source>
        <translation>一级创伤中心</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>trauma centre level %1 or higher</source>
        <translation>%1级及以上创伤中心</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>A unit breaks down</source>
        <translation>车辆故障</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A hospital starts diverting</source>
        <translation>医院停止接收</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The server drops for 30 s</source>
        <translation>服务器中断 30 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A second call about this call</source>
        <translation>同一事件再次来电</translation>
    </message>
    <message>
        <location line="-89"/>
        <source>emergency department busy</source>
        <translation>急诊繁忙</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>diverting ambulances</source>
        <translation>急诊分流中</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no travel time</source>
        <translation>无行程时间</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>open</source>
        <translation>开放</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>busy</source>
        <translation>繁忙</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>diverting</source>
        <translation>分流</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>chest-pain centre</source>
        <translation>胸痛中心</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PCI</source>
        <translation>PCI</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stroke centre</source>
        <translation>卒中中心</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>thrombolysis</source>
        <translation>溶栓</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>thrombectomy</source>
        <translation>取栓</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>trauma centre</source>
        <translation>创伤中心</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>trauma level</source>
        <translation>创伤中心级别</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>paediatric</source>
        <translation>儿科</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>maternity</source>
        <translation>产科</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>burns</source>
        <translation>烧伤</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Patient or family asks for it</source>
        <translation>患者或家属要求</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The crew asks for it</source>
        <translation>救护组要求</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Already treated there</source>
        <translation>曾在该院治疗</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>On the hospital&apos;s advice</source>
        <translation>医院建议</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>accepted</source>
        <translation>已接受</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>declined</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>arrived</source>
        <translation>已到达</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>too large</source>
        <translation>太大</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not an image</source>
        <translation>不是图片</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>too many photos</source>
        <translation>照片太多</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>this centre does not accept photos</source>
        <translation>本中心不接收照片</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../widgets/main_window.py" line="+389"/>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>A panel could not be built (%1); see the log</source>
        <translation>面板 %1 无法创建，请查看日志</translation>
    </message>
    <message>
        <location line="-75"/>
        <source>Save or select an incident first</source>
        <translation>请先保存或选择一个事件</translation>
    </message>
    <message>
        <location line="+616"/>
        <source>Caller link</source>
        <translation>呼救链接</translation>
    </message>
    <message>
        <location line="-405"/>
        <source>Watch vitals</source>
        <translation>监护</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Triage protocols could not be loaded: %1</source>
        <translation>分诊规程无法加载：%1</translation>
    </message>
    <message>
        <location line="+109"/>
        <source>Suggested units</source>
        <translation>推荐车辆</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Destination</source>
        <translation>送往医院</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>First responders</source>
        <translation>志愿急救员</translation>
    </message>
    <message>
        <location line="+58"/>
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
        <location line="+50"/>
        <source>Writing diagnostics to %1 …</source>
        <translation>正在将诊断信息写入 %1 …</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Diagnostics could not be written: %1</source>
        <translation>诊断信息无法写入：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Diagnostics written to %1 (path copied: paste it into the message to support)</source>
        <translation>诊断信息已写入 %1（路径已复制，请粘贴到发给技术支持的消息中）</translation>
    </message>
    <message>
        <location line="+6"/>
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
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Layout</source>
        <translation>布局(&amp;L)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Triage and CPR coach</source>
        <translation>分诊与心肺复苏指导</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Suggestions</source>
        <translation>推荐</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Copy diagnostics</source>
        <translation>复制诊断信息</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Set status of selected unit</source>
        <translation>设置所选车辆状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location line="-9"/>
        <location line="+12"/>
        <source>Calls</source>
        <translation>来电</translation>
    </message>
    <message>
        <location line="-12"/>
        <location line="+12"/>
        <source>Incident form</source>
        <translation>事件表单</translation>
    </message>
    <message>
        <location line="-11"/>
        <location line="+11"/>
        <source>Open incidents</source>
        <translation>未结事件</translation>
    </message>
    <message>
        <location line="-10"/>
        <location line="+10"/>
        <source>Unit board</source>
        <translation>车辆看板</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Pre-notify hospital…</source>
        <translation>预通知医院…</translation>
    </message>
    <message>
        <location line="+34"/>
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
    <name>MapDock</name>
    <message>
        <location filename="../widgets/map_dock.py" line="+128"/>
        <location line="+19"/>
        <source>Caller location</source>
        <translation>来电位置</translation>
    </message>
    <message>
        <location line="-19"/>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+11"/>
        <source>Ambulances</source>
        <translation>救护车</translation>
    </message>
    <message>
        <location line="-11"/>
        <source>Stations</source>
        <translation>急救站</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hospitals</source>
        <translation>医院</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Routes</source>
        <translation>路线</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Streets</source>
        <translation>街道底图</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>GPS</source>
        <translation>GPS</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Caller&apos;s link</source>
        <translation>呼救者链接定位</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Wi-Fi</source>
        <translation>Wi-Fi</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cell</source>
        <translation>基站</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Landline address</source>
        <translation>固话登记地址</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>No fix for over 30 s</source>
        <translation>超过30秒无定位</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Incident</source>
        <translation>事件位置</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Legend</source>
        <translation>图例</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Map</source>
        <translation>地图</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Follow this unit on the map</source>
        <translation>在地图上跟随此车</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop following</source>
        <translation>停止跟随</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>accuracy unknown</source>
        <translation>精度未知</translation>
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
    <name>OverrideDialog</name>
    <message>
        <location filename="../widgets/recommendation.py" line="+83"/>
        <source>Why not the first suggestion?</source>
        <translation>为什么不派首选车辆？</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>What the dispatcher knows (optional, required for Other)</source>
        <translation>调度员掌握的情况（可选；选“其他”时必填）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>You are sending %1 instead of the first suggestion %2.</source>
        <translation>您将派出 %1，而不是首选车辆 %2。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>PrenotifyAnswers</name>
    <message>
        <location filename="../widgets/prenotify_dialog.py" line="+430"/>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
</context>
<context>
    <name>PrenotifyDialog</name>
    <message>
        <location line="-161"/>
        <source>from the ambulance&apos;s position (road graph)</source>
        <translation>按救护车位置计算（道路网）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>no position of the ambulance: enter it</source>
        <translation>无救护车位置：请手动输入</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>entered by hand</source>
        <translation>手动输入</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>age unknown</source>
        <translation>年龄不详</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>~%1 y</source>
        <translation>约%1岁</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 y</source>
        <translation>%1岁</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>To: %1</source>
        <translation>接收医院：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ambulance: %1</source>
        <translation>救护车：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ETA: %1</source>
        <translation>预计到达：%1</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+77"/>
        <source>not known</source>
        <translation>未知</translation>
    </message>
    <message>
        <location line="-76"/>
        <source>%1 min</source>
        <translation>%1分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Patient: %1, %2, %3</source>
        <translation>患者：%1，%2，%3</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Dispatch triage %1, priority %2</source>
        <translation>调度分级 %1，优先级 %2</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Latest vitals: %1</source>
        <translation>最新生命体征：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Latest vitals: none received from this ambulance</source>
        <translation>最新生命体征：尚未收到该车数据</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ECG: the last stored strip of this ambulance, else its last 10 s of lead II</source>
        <translation>心电图：该车最近保存的心电条图，否则为最近10秒II导联</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ECG: not sent</source>
        <translation>心电图：不发送</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>waiting for the hospital&apos;s answer</source>
        <translation>等待医院回复</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Not pre-notified yet</source>
        <translation>尚未预通知</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Pre-notify %1</source>
        <translation>预通知%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Pre-notification sent to %1</source>
        <translation>已向%1发送预通知</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Pre-notify hospital</source>
        <translation>预通知医院</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Hospital</source>
        <translation>医院</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Ambulance</source>
        <translation>救护车</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>ETA</source>
        <translation>预计到达</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Age</source>
        <translation>年龄</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Sex</source>
        <translation>性别</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Complaint</source>
        <translation>主诉</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>ECG</source>
        <translation>心电图</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>(no ambulance)</source>
        <translation>（无救护车）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>unknown</source>
        <translation>不详</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>estimated</source>
        <translation>估计</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>what the hospital should know (history, medication, allergies)</source>
        <translation>医院需要了解的情况（病史、用药、过敏）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send an ECG strip</source>
        <translation>发送心电条图</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>What the hospital will receive</source>
        <translation>医院将收到的内容</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pre-notifications of this incident</source>
        <translation>本事件的预通知</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
</context>
<context>
    <name>RecommendationPanel</name>
    <message>
        <location filename="../widgets/recommendation.py" line="+179"/>
        <source>Suggested units appear here for the incident in the form.</source>
        <translation>此处显示表单中事件的推荐车辆。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No road routing: %1</source>
        <translation>无道路路径计算：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Locate the incident on the map to get suggested units.</source>
        <translation>请先在地图上定位事件以获得推荐车辆。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The incident&apos;s position is too far from any road: %1</source>
        <translation>事件位置离道路太远：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No available unit. The incident waits in the pending queue.</source>
        <translation>没有空闲车辆，事件进入待派队列。</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Suggestions could not be computed; see the log. Assign from the unit board.</source>
        <translation>无法计算推荐，请查看日志，并在车辆列表中派车。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>no triage plan yet</source>
        <translation>尚无分级方案</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1, priority %2</source>
        <translation>%1，%2级</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 (cardiac arrest recognised, determinant pending)</source>
        <translation>%1（已识别心脏骤停，分级待定）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Plan: %1. Ctrl+F8 sends the first, Enter the highlighted one.</source>
        <translation>方案：%1。Ctrl+F8 派首选，Enter 派选中车辆。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>leaves %1 without cover</source>
        <translation>%1 将失去覆盖</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>not triaged</source>
        <translation>未分级</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 is available: most urgent waiting incident %2 (%3, waiting %4)</source>
        <translation>%1 已空闲：最紧急的待派事件 %2（%3，已等待 %4）</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>No suggested unit to send.</source>
        <translation>没有可派的推荐车辆。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The first unit&apos;s position is unknown: pick it on the unit board.</source>
        <translation>首选车辆位置未知：请在车辆列表中选择。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Sending %1</source>
        <translation>派出 %1</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>#</source>
        <translation>序</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Unit</source>
        <translation>车辆</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>ETA</source>
        <translation>预计到达</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Road</source>
        <translation>路程</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Why here</source>
        <translation>排序理由</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Suggested units</source>
        <translation>推荐车辆</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send first  Ctrl+F8</source>
        <translation>派首选  Ctrl+F8</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send highlighted  Enter</source>
        <translation>派选中  Enter</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Send first suggested unit</source>
        <translation>派出首选推荐车辆</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show</source>
        <translation>查看</translation>
    </message>
</context>
<context>
    <name>RepeatBanner</name>
    <message>
        <location filename="../widgets/repeat_banner.py" line="+150"/>
        <location line="+22"/>
        <source>Answer the call first (F2)</source>
        <translation>请先接听来电（F2）</translation>
    </message>
    <message>
        <location line="-16"/>
        <source>Same number called %1 ago → incident %2</source>
        <translation>同一号码 %1前已报警 → 事件 %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open incident %1 away → incident %2</source>
        <translation>附近 %1 有未结事件 → 事件 %2</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Attaching the call to incident %1</source>
        <translation>将来电关联到事件 %1</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Open incident</source>
        <translation>打开事件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Attach call to it</source>
        <translation>关联此来电</translation>
    </message>
</context>
<context>
    <name>RespondersPanel</name>
    <message>
        <location filename="../widgets/responders_panel.py" line="+58"/>
        <source>Alerting first responders</source>
        <translation>呼叫志愿急救员</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>no answer yet</source>
        <translation>尚未回应</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>fetching AED %1, walk %2</source>
        <translation>去取AED %1，步行%2</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No first responder alerted.</source>
        <translation>尚未呼叫志愿急救员。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Alerted %1, accepted %2, arrived %3</source>
        <translation>已呼叫%1人，接受%2人，到达%3人</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Alert first responders</source>
        <translation>呼叫志愿急救员</translation>
    </message>
</context>
<context>
    <name>SeatKpiView</name>
    <message>
        <location filename="../widgets/seat_kpi.py" line="-119"/>
        <source>Indicator</source>
        <translation>指标</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Mine</source>
        <translation>本人</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Target</source>
        <translation>目标</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Centre</source>
        <translation>全中心</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>My shift</source>
        <translation>本班指标</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>My shift %1–%2</source>
        <translation>本班 %1–%2</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Could not update: %1</source>
        <translation>无法更新：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No call answered at this seat in this shift yet.</source>
        <translation>本班本席位尚未接听电话。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Updated %1 · from the centre&apos;s event log, every minute and after each call</source>
        <translation>%1 更新 · 由中心事件日志计算，每分钟及每通电话结束后刷新</translation>
    </message>
</context>
<context>
    <name>SeatStartup</name>
    <message>
        <location filename="../widgets/seat_app.py" line="+126"/>
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
    <name>ShortcutHelp</name>
    <message>
        <location filename="../widgets/shortcuts_dialog.py" line="+260"/>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <location line="-65"/>
        <source>%1 of %2 shortcuts · type to filter · Esc closes</source>
        <translation>共 %2 个快捷键，显示 %1 个 · 输入文字筛选 · Esc 关闭</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Type to search: answer, F8, 派车, ctrl+shift …</source>
        <translation>输入搜索：接听、F8、派车、ctrl+shift …</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Key</source>
        <translation>按键</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Where</source>
        <translation>位置</translation>
    </message>
</context>
<context>
    <name>StatusBanner</name>
    <message>
        <location filename="../widgets/status_banner.py" line="+101"/>
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
        <location line="+1"/>
        <source>TRAINING</source>
        <translation>训练模式</translation>
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
    <name>StripViewer</name>
    <message>
        <location filename="../widgets/strip_viewer.py" line="+71"/>
        <source>Choose a strip</source>
        <translation>请选择一条心电图条</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+5"/>
        <source>No ECG</source>
        <translation>无心电图</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>%1 · %2 · %3 s · 25 mm/s · 10 mm/mV</source>
        <translation>%1 · %2 · %3 秒 · 25 mm/s · 10 mm/mV</translation>
    </message>
</context>
<context>
    <name>StripsWindow</name>
    <message>
        <location line="+78"/>
        <source>%1 · %2 s</source>
        <translation>%1 · %2 秒</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>alarm %1</source>
        <translation>报警 %1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>No strip stored for this incident yet</source>
        <translation>本事件尚未保存心电图条</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Not connected to the server</source>
        <translation>未连接服务器</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Loading strip…</source>
        <translation>正在加载心电图条…</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Could not load the strip: %1</source>
        <translation>无法加载心电图条：%1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>ECG strips – %1</source>
        <translation>心电图条 – %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ECG strips of %1&apos;s incident</source>
        <translation>%1 所在事件的心电图条</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Record strip (last %1 s)</source>
        <translation>记录心电图条（最近 %1 秒）</translation>
    </message>
</context>
<context>
    <name>TrackPlayback</name>
    <message>
        <location filename="../widgets/track_playback.py" line="+229"/>
        <source>Caller</source>
        <translation>来电者</translation>
    </message>
    <message>
        <location line="-1"/>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Incident %1  %2   (Space play/pause, ←/→ step, +/− speed)</source>
        <translation>事件 %1  %2   （空格 播放/暂停，←/→ 单步，+/− 速度）</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Playback speed</source>
        <translation>回放速度</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>Track playback — %1</source>
        <translation>轨迹回放 — %1</translation>
    </message>
</context>
<context>
    <name>TrainerConsole</name>
    <message>
        <location filename="../widgets/trainer_console.py" line="+384"/>
        <source>Choose at least one trainee seat</source>
        <translation>请至少选择一个学员席位</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Starting the training centre…</source>
        <translation>正在启动培训中心…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>The training centre did not start: %1</source>
        <translation>培训中心未能启动：%1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The scenario&apos;s registry has no trainer: add one under trainers:</source>
        <translation>该场景的注册表中没有培训教员：请在 trainers: 下添加</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Training centre running at %1</source>
        <translation>培训中心运行中：%1</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Seats on other computers join at %1</source>
        <translation>其他电脑上的席位从 %1 加入</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1: token %2 · copy %3 to the seat, then run: %4</source>
        <translation>%1：令牌 %2 · 把 %3 复制到该席位电脑，然后运行：%4</translation>
    </message>
    <message>
        <location line="+126"/>
        <source>The report could not be written: %1</source>
        <translation>讲评报告未能生成：%1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Report written: %1</source>
        <translation>讲评报告已生成：%1</translation>
    </message>
    <message>
        <location line="+94"/>
        <source>[typed] </source>
        <translation>[文字] </translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Not running</source>
        <translation>未运行</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+73"/>
        <location line="+1"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location line="-73"/>
        <location line="+12"/>
        <source>Pause (F8)</source>
        <translation>暂停 (F8)</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>PAUSED at %1</source>
        <translation>已暂停于 %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Scenario time %1 · %2× real time</source>
        <translation>场景时间 %1 · %2 倍速</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Resume (F8)</source>
        <translation>继续 (F8)</translation>
    </message>
    <message>
        <location line="+23"/>
        <location line="+9"/>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>dispatch120 — trainer console — TRAINING</source>
        <translation>dispatch120 — 培训教员控制台 — 培训</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scenario and trainees</source>
        <translation>场景与学员</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run</source>
        <translation>运行控制</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Scenario</source>
        <translation>场景</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Trainee seats</source>
        <translation>学员席位</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Join from other computers</source>
        <translation>从其他电脑加入</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop</source>
        <translation>结束</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Inject</source>
        <translation>注入事件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Inject (Ctrl+I)</source>
        <translation>注入 (Ctrl+I)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>What the second caller says (empty: a scripted line)</source>
        <translation>再次来电者说的话（留空：使用预设台词）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>After-action report</source>
        <translation>讲评报告</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open trainee seats</source>
        <translation>打开学员席位</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Say as the caller</source>
        <translation>以呼救者身份说</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Type what the caller says (Ctrl+K), Enter to say it</source>
        <translation>输入呼救者要说的话 (Ctrl+K)，回车发出</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The caller&apos;s script (trainer only)</source>
        <translation>呼救者脚本（仅教员可见）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The caller says</source>
        <translation>呼救者说</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>What the trainee did (s from the call&apos;s arrival)</source>
        <translation>学员操作（秒，自来电起）</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Trainee</source>
        <translation>学员</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Call</source>
        <translation>来电</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Answered</source>
        <translation>接听</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Questions asked</source>
        <translation>已问问题</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Units</source>
        <translation>派出车辆</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CPR instructions</source>
        <translation>心肺复苏指导</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Call state</source>
        <translation>通话状态</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Offline: reconnecting</source>
        <translation>离线：正在重连</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Trainer token refused</source>
        <translation>教员令牌被拒绝</translation>
    </message>
</context>
<context>
    <name>TriagePanel</name>
    <message>
        <location filename="../widgets/questionnaire.py" line="+268"/>
        <source>No valid triage protocols are loaded; triage is unavailable.</source>
        <translation>没有加载有效的分诊规程，无法分诊。</translation>
    </message>
    <message>
        <location line="+196"/>
        <location line="+12"/>
        <source>Recording a triage answer</source>
        <translation>记录分诊回答</translation>
    </message>
    <message>
        <location line="+14"/>
        <location line="+32"/>
        <source>Recording the recognition of cardiac arrest</source>
        <translation>记录识别心脏骤停</translation>
    </message>
    <message>
        <location line="-14"/>
        <source>Recording the triage result</source>
        <translation>记录分诊结果</translation>
    </message>
    <message>
        <location line="+104"/>
        <source>Case entry</source>
        <translation>初始问询</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+47"/>
        <source>Determinant %1</source>
        <translation>判定码 %1</translation>
    </message>
    <message>
        <location line="-43"/>
        <source>question %1 of ~%2</source>
        <translation>第 %1 题，共约 %2 题</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>☎ Callback number from the switch: %1 (not asked) · C ask it</source>
        <translation>☎ 回拨号码（交换机带入）：%1（不必再问）· C 改为询问</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>◎ Precise caller location: awake and breathing first, the address next · A address first</source>
        <translation>◎ 来电定位精确：先问意识和呼吸，再核对地址 · A 先问地址</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Priority %1</source>
        <translation>优先级 %1</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>lights and sirens</source>
        <translation>警灯警报</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>also: %1</source>
        <translation>另派：%1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Plan: %1 — %2</source>
        <translation>响应方案：%1 —— %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+44"/>
        <source>For the crew: %1</source>
        <translation>告知急救人员：%1</translation>
    </message>
    <message>
        <location line="-31"/>
        <source>F8 dispatch the selected unit · ↓/N next instruction · Backspace change the last answer · Ctrl+K change complaint · F1 all keys</source>
        <translation>F8 派出选中车辆 · ↓/N 下一条指导 · Backspace 修改上一个回答 · Ctrl+K 更改主诉 · F1 全部按键</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>For the hospital, after dispatch (%1 left) — 1–9 answer · Esc skip all</source>
        <translation>派车后补问，供医院参考（还剩 %1 个）— 1–9 回答 · Esc 全部跳过</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>1–9 0 - answer · ↑↓ + Enter confirm · Backspace back · Ctrl+K change complaint · Ctrl+2 type in the form, Enter there comes back here · F1 all keys</source>
        <translation>1–9 0 - 回答 · ↑↓ + 回车 确认 · Backspace 返回 · Ctrl+K 更改主诉 · Ctrl+2 在表单中输入，回车回到这里 · F1 全部按键</translation>
    </message>
    <message>
        <location line="-44"/>
        <source>Before the ambulance arrives:</source>
        <translation>救护车到达前：</translation>
    </message>
    <message>
        <source>↓/N next instruction · Backspace change the last answer · Ctrl+K change complaint</source>
        <translation type="vanished">↓/N 下一条指导 · Backspace 修改上一个回答 · Ctrl+K 更改主诉</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>P CPR coach</source>
        <translation>P 心肺复苏指导</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>F11 whole desk · Esc back</source>
        <translation>F11 整个工作台 · Esc 返回</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pre-notify the receiving centre: Ctrl+Shift+H</source>
        <translation>请预先通知接收中心：Ctrl+Shift+H</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>Triage</source>
        <translation>分诊</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No triage running.
Answer a call (F2) — triage starts by itself — or press Ctrl+T for the incident in the form.</source>
        <translation>当前没有分诊。
接听来电（F2）后自动开始分诊，或按 Ctrl+T 为表单中的事件分诊。</translation>
    </message>
    <message>
        <source>1–9 answer · ↑↓ + Enter confirm · Backspace back · Ctrl+K change complaint</source>
        <translation type="vanished">1–9 回答 · ↑↓ + 回车 确认 · Backspace 返回 · Ctrl+K 更改主诉</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Triage questions</source>
        <translation>分诊问题</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Change chief complaint…</source>
        <translation>更改主诉…</translation>
    </message>
</context>
<context>
    <name>TwelveLeadView</name>
    <message>
        <location filename="../widgets/twelve_lead.py" line="+167"/>
        <location line="+22"/>
        <source>%1 — no data</source>
        <translation>%1 — 无数据</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>12-lead ECG — %1 — %2</source>
        <translation>12 导联心电图 — %1 — %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>12-lead ECG — %1</source>
        <translation>12 导联心电图 — %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Take the last 10 s again</source>
        <translation>重新截取最近 10 秒</translation>
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
        <location line="+105"/>
        <source>Command sent; waiting for the server</source>
        <translation>命令已发送，等待服务器确认</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>%1 of %2 available</source>
        <translation>待命 %1 / 共 %2</translation>
    </message>
    <message>
        <location line="+14"/>
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
<context>
    <name>VitalsMonitor</name>
    <message>
        <location filename="../widgets/vitals_monitor.py" line="+515"/>
        <source>LEAD OFF</source>
        <translation>导联脱落</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>STALE — no new samples</source>
        <translation>数据过时 — 无新采样</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>NO DATA</source>
        <translation>无数据</translation>
    </message>
    <message>
        <location line="+118"/>
        <location line="+8"/>
        <source>noise</source>
        <translation>干扰</translation>
    </message>
    <message>
        <location line="-30"/>
        <source>Device HR %1 · ECG HR %2</source>
        <translation>设备心率 %1 · 心电计算心率 %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>they disagree: check the patient</source>
        <translation>两者不一致：请核查患者</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>artefact</source>
        <translation>伪差</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>spikes</source>
        <translation>尖峰干扰</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>implausible</source>
        <translation>数值不可信</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>too few beats</source>
        <translation>心搏太少</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>fibrillation-like</source>
        <translation>类似颤动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>gap</source>
        <translation>信号中断</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location line="+101"/>
        <source>FROZEN — %1 s ago</source>
        <translation>已冻结 — %1 秒前</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>Acknowledge</source>
        <translation>确认报警</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Acknowledge the alarms (F6): flashing stops until they clear</source>
        <translation>确认报警（F6）：闪烁停止，直到报警条件消除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Silence 2 min</source>
        <translation>静音 2 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pause the alarm sound for 2 minutes (F7)</source>
        <translation>报警声暂停 2 分钟（F7）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Freeze</source>
        <translation>冻结</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Freeze the traces and scroll back through the last 60 s (F9)</source>
        <translation>冻结波形，可回看最近 60 秒（F9）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>12-lead</source>
        <translation>12 导联</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop watching this unit</source>
        <translation>停止监护该车</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ECG lead shown</source>
        <translation>显示的心电导联</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>HR</source>
        <translation>心率</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>NIBP</source>
        <translation>无创血压</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>RR</source>
        <translation>呼吸</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Temp</source>
        <translation>体温</translation>
    </message>
</context>
<context>
    <name>VitalsWall</name>
    <message>
        <location filename="../widgets/vitals_wall.py" line="+184"/>
        <source>At most %1 monitors; stop watching one first</source>
        <translation>最多 %1 个监护窗口；请先停止监护一辆车</translation>
    </message>
    <message>
        <location line="+185"/>
        <source>Watch a unit first</source>
        <translation>请先监护一辆车</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Not connected to the server</source>
        <translation>未连接服务器</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Vitals monitors</source>
        <translation>生命体征监护</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Watch vitals</source>
        <translation>监护</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show the chosen unit&apos;s monitor here</source>
        <translation>在此显示所选车辆的监护仪</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>F6 acknowledge · F7 silence 2 min · F9 freeze / live</source>
        <translation>F6 确认报警 · F7 静音 2 分钟 · F9 冻结 / 实时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No unit watched. Choose one above, or right-click a unit on the unit board: Watch vitals.</source>
        <translation>未监护任何车辆。请在上方选择，或在车辆列表中右键点击车辆：监护。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Acknowledge alarms</source>
        <translation>确认报警</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Silence alarms for 2 min</source>
        <translation>报警静音 2 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Freeze / live</source>
        <translation>冻结 / 实时</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Record ECG strip</source>
        <translation>记录心电图条</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Strips</source>
        <translation>心电图条</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The stored ECG strips of the current monitor&apos;s incident</source>
        <translation>当前监护仪所属事件已保存的心电图条</translation>
    </message>
</context>
<context>
    <name>WallDisplay</name>
    <message>
        <location filename="../widgets/wall_display.py" line="+275"/>
        <source>120 dispatch — wall display</source>
        <translation>120 调度 — 大屏</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>120 Emergency Dispatch — live</source>
        <translation>120 急救调度指挥 · 实时态势</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Display only · F11 full screen · Esc close</source>
        <translation>只读显示 · F11 全屏 · Esc 关闭</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Calls answered within 10 s</source>
        <translation>10 秒内接听率</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ambulances out within 3 min</source>
        <translation>3 分钟内出车率</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Calls waiting</source>
        <translation>等待接听</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open incidents</source>
        <translation>未结事件</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Ambulances by status</source>
        <translation>车辆状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Priority</source>
        <translation>级别</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Units</source>
        <translation>车辆</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Age</source>
        <translation>时长</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>target ≥ 95 %</source>
        <translation>目标 ≥ 95%</translation>
    </message>
    <message>
        <location line="+88"/>
        <source>since 00:00</source>
        <translation>自 00:00 起</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>since %1</source>
        <translation>自 %1 起</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 of %2 calls</source>
        <translation>%2 个来电中 %1 个</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 of %2 departures</source>
        <translation>%2 次出车中 %1 次</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>longest wait %1</source>
        <translation>最长等待 %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no call waiting</source>
        <translation>无来电等待</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>%1 priority I</source>
        <translation>其中 I 级 %1 起</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open incidents by priority</source>
        <translation>未结事件（按级别排序）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>(%1 more not shown)</source>
        <translation>（另有 %1 起未显示）</translation>
    </message>
    <message>
        <location line="+126"/>
        <source>Close the wall display</source>
        <translation>关闭大屏</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Close the wall display? The big screen will be empty.</source>
        <translation>确定关闭大屏显示？关闭后大屏将无画面。</translation>
    </message>
</context>
<context>
    <name>Workspace</name>
    <message>
        <location filename="../widgets/workspace.py" line="+513"/>
        <source>One screen</source>
        <translation>单屏</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Two screens</source>
        <translation>双屏</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Three screens</source>
        <translation>三屏</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>CPR coach ↔ whole desk</source>
        <translation>心肺复苏指导 ↔ 全部面板</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>dispatch120 — map and units</source>
        <translation>dispatch120 — 地图与车辆</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>dispatch120 — vitals and units</source>
        <translation>dispatch120 — 生命体征与车辆</translation>
    </message>
</context>
</TS>
