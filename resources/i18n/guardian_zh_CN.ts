<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AssignDialog</name>
    <message>
        <source>Send a technician</source>
        <translation>派人</translation>
    </message>
    <message>
        <source>Technician (name, and a phone or team):</source>
        <translation>维护人员（姓名，及电话或班组）：</translation>
    </message>
    <message>
        <source>e.g. Zhang Wei, maintenance team 2</source>
        <translation>例如：张伟，维修二组</translation>
    </message>
</context>
<context>
    <name>BulkCloseDialog</name>
    <message>
        <source>Close restored false alarms</source>
        <translation>批量关闭已恢复的误报</translation>
    </message>
    <message numerus="yes">
        <source>The selected rows (%n)</source>
        <translation>
            <numerusform>所选的 %n 行</numerusform>
        </translation>
    </message>
    <message>
        <source>All restored alarms of a kind in a township</source>
        <translation>某镇街某类已恢复的全部报警</translation>
    </message>
    <message>
        <source>All townships</source>
        <translation>全部镇街</translation>
    </message>
    <message>
        <source>The elders were reached (else each needs an answered call)</source>
        <translation>已联系到老人（否则每起须有老人接听的自动电话）</translation>
    </message>
    <message>
        <source>Feedback for the record (optional)</source>
        <translation>记录的反馈（可选）</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Township</source>
        <translation>镇街</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Cause</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Feedback</source>
        <translation>反馈</translation>
    </message>
    <message numerus="yes">
        <source>%n incident(s) to close</source>
        <translation>
            <numerusform>待关闭 %n 起</numerusform>
        </translation>
    </message>
    <message>
        <source>Close %1 as “%2”</source>
        <translation>以“%2”关闭 %1 起</translation>
    </message>
    <message>
        <source>Sent; waiting for the journal…</source>
        <translation>已提交，等待写入日志…</translation>
    </message>
    <message>
        <source>%1 closed, %2 refused</source>
        <translation>已关闭 %1 起，拒绝 %2 起</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>CloseTicketDialog</name>
    <message>
        <source>Close the ticket</source>
        <translation>关闭工单</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Not acknowledged</source>
        <translation>未确认</translation>
    </message>
    <message>
        <source>technician: %1</source>
        <translation>维护人员：%1</translation>
    </message>
    <message>
        <source>no technician sent</source>
        <translation>未派人</translation>
    </message>
    <message numerus="yes">
        <source>%n note(s)</source>
        <translation>
            <numerusform>%n 条备注</numerusform>
        </translation>
    </message>
    <message>
        <source>What was done, or why it is closed without a repair (required):</source>
        <translation>怎么处理的，或为什么不维修就关闭（必填）：</translation>
    </message>
    <message>
        <source>e.g. Battery replaced on site, the detector tested</source>
        <translation>例如：已上门更换电池，探测器测试正常</translation>
    </message>
    <message>
        <source>A ticket is closed with its reason; it is recorded in the journal.</source>
        <translation>关闭工单须写明原因，并记入日志。</translation>
    </message>
    <message>
        <source>Detector replaced</source>
        <translation>已更换探测器</translation>
    </message>
    <message>
        <source>Elder refused a replacement (recorded)</source>
        <translation>老人拒绝更换（已登记）</translation>
    </message>
    <message>
        <source>Reinstalled</source>
        <translation>已恢复安装</translation>
    </message>
    <message>
        <source>Battery replaced</source>
        <translation>已更换电池</translation>
    </message>
    <message>
        <source>Repaired</source>
        <translation>已修复</translation>
    </message>
    <message>
        <source>Back online: power or network restored</source>
        <translation>已恢复在线：供电或网络已恢复</translation>
    </message>
</context>
<context>
    <name>DispatchDialog</name>
    <message>
        <source>Dispatch someone nearby</source>
        <translation>派遣就近人员</translation>
    </message>
    <message>
        <source>or type a name and phone</source>
        <translation>或输入姓名和电话</translation>
    </message>
    <message>
        <source>Proposed responders, nearest first:</source>
        <translation>建议派遣人员（由近及远）：</translation>
    </message>
    <message>
        <source>Show the number to dial…</source>
        <translation>显示要拨打的号码…</translation>
    </message>
    <message>
        <source>Asks for a reason; recorded in the journal; the number is masked again after a while</source>
        <translation>需填写原因；记入日志；稍后号码重新隐藏</translation>
    </message>
    <message>
        <source>distance unknown</source>
        <translation>距离未知</translation>
    </message>
</context>
<context>
    <name>FirstAdminDialog</name>
    <message>
        <source>Guardian Console — first start</source>
        <translation>守护台 — 首次启动</translation>
    </message>
    <message>
        <source>There are no operator accounts yet. Create the first administrator; they then add the duty officers.</source>
        <translation>尚无操作员账号。请创建第一个管理员，再由管理员添加值班人员。</translation>
    </message>
    <message>
        <source>Administrator id</source>
        <translation>管理员账号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Password again</source>
        <translation>再次输入密码</translation>
    </message>
    <message>
        <source>Create administrator</source>
        <translation>创建管理员</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
    <message>
        <source>The password needs at least %1 characters.</source>
        <translation>密码至少需要 %1 个字符。</translation>
    </message>
</context>
<context>
    <name>HandoverDialog</name>
    <message>
        <source>Shift handover</source>
        <translation>交接班</translation>
    </message>
    <message>
        <source>what the next officer must know</source>
        <translation>接班值班员需要知道的情况</translation>
    </message>
    <message>
        <source>OVERDUE</source>
        <translation>已超时</translation>
    </message>
    <message numerus="yes">
        <source>Open incidents handed over: %n</source>
        <translation>
            <numerusform>移交在办警情：%n 起</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>(%n overdue, listed first)</source>
        <translation>
            <numerusform>（%n 起已超时，排在最前）</numerusform>
        </translation>
    </message>
    <message>
        <source>Note</source>
        <translation>交接说明</translation>
    </message>
    <message>
        <source>Incoming operator</source>
        <translation>接班值班员</translation>
    </message>
</context>
<context>
    <name>HouseholdFile</name>
    <message>
        <source>Residents</source>
        <translation>居住人员</translation>
    </message>
    <message>
        <source>Contacts</source>
        <translation>联系人</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Past incidents</source>
        <translation>历史警情</translation>
    </message>
    <message>
        <source>Safety file %s</source>
        <translation>安全档案 %s</translation>
    </message>
    <message>
        <source>Risk: %1 (score %2) — %3</source>
        <translation>风险：%1（%2 分）— %3</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>年龄</translation>
    </message>
    <message>
        <source>Groups</source>
        <translation>人员类别</translation>
    </message>
    <message>
        <source>ID number</source>
        <translation>身份证号</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>身份</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <source>Show…</source>
        <translation>显示…</translation>
    </message>
    <message>
        <source>Show the number: asks for a reason, recorded in the journal</source>
        <translation>显示号码：需填写原因，记入日志</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>Battery</source>
        <translation>电量</translation>
    </message>
    <message>
        <source>Trouble</source>
        <translation>异常</translation>
    </message>
    <message>
        <source>not heard yet</source>
        <translation>尚未上报</translation>
    </message>
    <message>
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>警情</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>接警时间</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Cause</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>the ID number of %1</source>
        <translation>%1 的身份证号</translation>
    </message>
    <message>
        <source>the phone of %1 (%2)</source>
        <translation>%1（%2）的电话</translation>
    </message>
</context>
<context>
    <name>IdleLock</name>
    <message>
        <source>Guardian Console — locked</source>
        <translation>守护台 — 已锁定</translation>
    </message>
    <message>
        <source>The console locked itself after a while without input. Alarms still sound and show behind this dialog. Enter your password to go on.</source>
        <translation>控制台因长时间无操作已自动锁定。报警声音和提示仍在此对话框后继续。请输入密码继续。</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <source>The console stays locked until your password is entered.</source>
        <translation>输入密码前，控制台保持锁定。</translation>
    </message>
</context>
<context>
    <name>IncidentPanel</name>
    <message>
        <source>Stage</source>
        <translation>节点</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>步骤</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>执行人</translation>
    </message>
    <message>
        <source>Required</source>
        <translation>必做</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Acknowledge (A)</source>
        <translation>确认 (A)</translation>
    </message>
    <message>
        <source>Dispatch (D)</source>
        <translation>派遣 (D)</translation>
    </message>
    <message>
        <source>On site (O)</source>
        <translation>到场 (O)</translation>
    </message>
    <message>
        <source>Resolve (R)</source>
        <translation>处置 (R)</translation>
    </message>
    <message>
        <source>Close (C)</source>
        <translation>闭环 (C)</translation>
    </message>
    <message>
        <source>Escalate (E)</source>
        <translation>升级上报 (E)</translation>
    </message>
    <message>
        <source>Household file (H)</source>
        <translation>住户档案 (H)</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>身份</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>渠道</translation>
    </message>
    <message>
        <source>To</source>
        <translation>接收方</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Attempt</source>
        <translation>次数</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Select an incident first</source>
        <translation>请先选择一条警情</translation>
    </message>
    <message>
        <source>This incident is closed</source>
        <translation>该警情已闭环</translation>
    </message>
    <message>
        <source>A resolved incident cannot be escalated</source>
        <translation>已处置的警情不能升级上报</translation>
    </message>
    <message>
        <source>Not in this incident&apos;s checklist</source>
        <translation>该警情的处置清单中没有此步骤</translation>
    </message>
    <message>
        <source>Already done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>no elder&apos;s number in the register</source>
        <translation>登记中没有老人的电话</translation>
    </message>
    <message>
        <source>the gateway&apos;s call was answered</source>
        <translation>网关自动来电已接听</translation>
    </message>
    <message>
        <source>the gateway&apos;s call not answered</source>
        <translation>网关自动来电未接听</translation>
    </message>
    <message>
        <source>no call through the gateway</source>
        <translation>网关未拨打电话</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>What happened</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>通知</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <source>The SMS and calls sent for the selected incident, with their delivery, appear here.</source>
        <translation>所选警情发出的短信和电话及其送达情况显示在这里。</translation>
    </message>
    <message>
        <source>Everything that happens to the selected incident appears here, newest first.</source>
        <translation>所选警情的全部经过显示在这里，最新的在最上面。</translation>
    </message>
    <message>
        <source>No incident selected: choose one in the alarm queue (N takes the next).</source>
        <translation>未选择警情：请在警情队列中选择一条（按 N 接下一条）。</translation>
    </message>
    <message>
        <source>unregistered device %s</source>
        <translation>未登记设备 %s</translation>
    </message>
    <message>
        <source>missed</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>Why it ranks here</source>
        <translation>排序依据</translation>
    </message>
    <message>
        <source>waived</source>
        <translation>免做</translation>
    </message>
</context>
<context>
    <name>IncidentSearch</name>
    <message>
        <source>Find an incident</source>
        <translation>查找警情</translation>
    </message>
    <message>
        <source>Incident number</source>
        <translation>警情编号</translation>
    </message>
    <message>
        <source>Household code, address or resident&apos;s name</source>
        <translation>住户编号、地址或老人姓名</translation>
    </message>
    <message>
        <source>Opened on</source>
        <translation>发生日期</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>查找</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>警情</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>发生时间</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Household</source>
        <translation>住户</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Cause</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Give a number, a household or a day, then Find.</source>
        <translation>输入编号、住户或日期，再点“查找”。</translation>
    </message>
    <message>
        <source>Replay from its start</source>
        <translation>从头回放</translation>
    </message>
    <message>
        <source>Open the incident in the replay window, at the moment it opened</source>
        <translation>在回放窗口中打开该警情，定位到发生时刻</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在查找…</translation>
    </message>
    <message numerus="yes">
        <source>%n incident(s) found.</source>
        <translation>
            <numerusform>找到 %n 起警情。</numerusform>
        </translation>
    </message>
    <message>
        <source>No incident found: check the number, the household or the day.</source>
        <translation>没有找到警情：请检查编号、住户或日期。</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Locked until %1: too many wrong passwords.</source>
        <translation>已锁定至 %1：密码错误次数过多。</translation>
    </message>
    <message>
        <source>This account is disabled; ask an administrator.</source>
        <translation>此账号已停用，请联系管理员。</translation>
    </message>
    <message>
        <source>Wrong password.</source>
        <translation>密码错误。</translation>
    </message>
    <message>
        <source>Wrong password (%1 of %2).</source>
        <translation>密码错误（已错 %1 次，满 %2 次锁定）。</translation>
    </message>
    <message>
        <source>Guardian Console — log in</source>
        <translation>守护台 — 登录</translation>
    </message>
    <message>
        <source>Guardian Console</source>
        <translation>守护台</translation>
    </message>
    <message>
        <source>Fire and gas safety of elderly people living alone</source>
        <translation>独居老人消防与燃气安全值守</translation>
    </message>
    <message>
        <source>Console %1</source>
        <translation>值班台 %1</translation>
    </message>
    <message>
        <source>District %1</source>
        <translation>辖区 %1</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Wrong operator or password.</source>
        <translation>值班员账号或密码错误。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>TRAINING</source>
        <translation>演练</translation>
    </message>
    <message>
        <source>REPLAY</source>
        <translation>回放</translation>
    </message>
    <message>
        <source>TRAINING — no real SMS or calls</source>
        <translation>演练模式 — 不发送真实短信，不拨打真实电话</translation>
    </message>
    <message>
        <source>REPLAY — read only</source>
        <translation>回放模式 — 只读</translation>
    </message>
    <message>
        <source>Ranked: new alarms on top, then in progress, then the rest; by triage score. ↑/↓ select, N takes the next new alarm, Ctrl+R back to ranked after sorting by a column.</source>
        <translation>按优先级排列：新警情在上，其次处置中，再次其他；同组内按研判分值。↑/↓ 选择，N 接下一起新警情，按列排序后 Ctrl+R 恢复优先级排序。</translation>
    </message>
    <message>
        <source>Take next (N)</source>
        <translation>接下一起 (N)</translation>
    </message>
    <message>
        <source>Select the top of the new lane: the incident to take next (N)</source>
        <translation>选中新警情组的第一起：下一起应接的警情 (N)</translation>
    </message>
    <message>
        <source>Ranked (Ctrl+R)</source>
        <translation>按优先级 (Ctrl+R)</translation>
    </message>
    <message>
        <source>Back to the ranked order after sorting by a column (Ctrl+R)</source>
        <translation>按列排序后恢复优先级排序 (Ctrl+R)</translation>
    </message>
    <message>
        <source>Close restored… (Ctrl+B)</source>
        <translation>批量处理已恢复… (Ctrl+B)</translation>
    </message>
    <message>
        <source>Close restored false alarms together: the selected rows, or all of a kind in a township</source>
        <translation>一次关闭已恢复的误报：所选的行，或某镇街某类的全部</translation>
    </message>
    <message>
        <source>Alarm queue</source>
        <translation>警情队列</translation>
    </message>
    <message>
        <source>KPIs</source>
        <translation>考核指标</translation>
    </message>
    <message>
        <source>No household register yet: alarms still become incidents (unregistered device). Import it: Register → Import.</source>
        <translation>尚无住户台账：报警仍会生成警情（未登记设备）。请导入：台账 → 导入住户台账。</translation>
    </message>
    <message>
        <source>&amp;Duty</source>
        <translation>值班(&amp;D)</translation>
    </message>
    <message>
        <source>Shift handover…</source>
        <translation>交接班…</translation>
    </message>
    <message>
        <source>Reassign incident…</source>
        <translation>转交警情…</translation>
    </message>
    <message>
        <source>Escalation list only</source>
        <translation>仅显示升级上报警情</translation>
    </message>
    <message>
        <source>&amp;Register</source>
        <translation>台账(&amp;R)</translation>
    </message>
    <message>
        <source>Import household register…</source>
        <translation>导入住户台账…</translation>
    </message>
    <message>
        <source>Operators…</source>
        <translation>操作员…</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Wall mode</source>
        <translation>大屏模式</translation>
    </message>
    <message>
        <source>The wall screen: counters, top of the queue, map and townships, full screen on the second monitor (F11; Esc closes it)</source>
        <translation>大屏：1-5-30 计数、队列前列、地图和镇街排名，在第二块显示器上全屏显示（F11；Esc 关闭）</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>Find an incident to replay… (Ctrl+F)</source>
        <translation>查找警情并回放… (Ctrl+F)</translation>
    </message>
    <message>
        <source>Replay the selected incident (P)</source>
        <translation>回放选中的警情 (P)</translation>
    </message>
    <message>
        <source>Reassign incident</source>
        <translation>转交警情</translation>
    </message>
    <message>
        <source>Operator id</source>
        <translation>值班员账号</translation>
    </message>
    <message>
        <source>Replay from its start</source>
        <translation>从头回放</translation>
    </message>
    <message>
        <source>Find an incident to replay…</source>
        <translation>查找警情并回放…</translation>
    </message>
    <message>
        <source>Select an incident first, or find one (Ctrl+F)</source>
        <translation>请先选中一起警情，或查找警情 (Ctrl+F)</translation>
    </message>
    <message>
        <source>The replay cannot be opened: %1</source>
        <translation>无法打开回放：%1</translation>
    </message>
    <message>
        <source>incident #%1</source>
        <translation>警情 #%1</translation>
    </message>
    <message>
        <source>Incident #%1 is not in the journal.</source>
        <translation>日志中没有警情 #%1。</translation>
    </message>
    <message>
        <source>Select an incident first (N takes the next one)</source>
        <translation>请先选中一起警情（N 接下一起）</translation>
    </message>
    <message>
        <source>No new alarm waiting</source>
        <translation>没有待接的新警情</translation>
    </message>
    <message>
        <source>No safety file: unregistered device</source>
        <translation>无安全档案：未登记设备</translation>
    </message>
    <message>
        <source>Register {version} in force: {n} households</source>
        <translation>住户台账 {version} 已生效：{n} 户</translation>
    </message>
    <message>
        <source>Heartbeats in the journal could not be read (register %1): devices may be shown offline wrongly</source>
        <translation>日志中的心跳记录无法读取（登记册 %1）：设备可能被误显示为离线</translation>
    </message>
    <message>
        <source>Incident %1: no numbers configured for %2 — phone it yourself</source>
        <translation>事件 %1：%2 未配置通知号码，请自行电话联系</translation>
    </message>
    <message numerus="yes">
        <source>Maintenance (%n)</source>
        <translation>
            <numerusform>运维工单（%n）</numerusform>
        </translation>
    </message>
    <message>
        <source>Guardian Console</source>
        <translation>守护台</translation>
    </message>
    <message>
        <source>No open alarm. New alarms appear here as they come in, the one to take next on top (N selects it).</source>
        <translation>当前没有未闭环的警情。新报警会显示在这里，最该先处理的在最上面（按 N 选中）。</translation>
    </message>
    <message>
        <source>Language changed and saved.</source>
        <translation>界面语言已切换并保存。</translation>
    </message>
    <message numerus="yes">
        <source>Shift handed over to %1: %n open incident(s), recorded in the journal.</source>
        <translation>
            <numerusform>已交班给 %1：%n 起未闭环警情，已记入日志。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Maintenance (%n, %1 overdue)</source>
        <translation>
            <numerusform>运维工单（%n，超时 %1）</numerusform>
        </translation>
    </message>
    <message>
        <source>Missed deadlines acknowledged (recorded in the journal)</source>
        <translation>超时已确认（已记入日志）</translation>
    </message>
    <message>
        <source>New alarm</source>
        <translation>新警情</translation>
    </message>
</context>
<context>
    <name>MapPage</name>
    <message>
        <source>Critical (open alarm)</source>
        <translation>危急（警情未闭环）</translation>
    </message>
    <message>
        <source>High risk</source>
        <translation>高风险</translation>
    </message>
    <message>
        <source>Medium risk</source>
        <translation>中风险</translation>
    </message>
    <message>
        <source>Low risk</source>
        <translation>低风险</translation>
    </message>
    <message>
        <source>Unprotected (device missing/offline)</source>
        <translation>未防护（设备缺失/离线）</translation>
    </message>
    <message>
        <source>Households by risk</source>
        <translation>住户风险分级</translation>
    </message>
    <message>
        <source>Code or address</source>
        <translation>户编号或地址</translation>
    </message>
    <message>
        <source>No household matches</source>
        <translation>没有匹配的住户</translation>
    </message>
    <message>
        <source>without valid coordinates</source>
        <translation>缺少有效坐标</translation>
    </message>
    <message>
        <source>households</source>
        <translation>户</translation>
    </message>
    <message>
        <source>Nearby responders</source>
        <translation>附近可派人员</translation>
    </message>
    <message>
        <source>Township boundaries unavailable</source>
        <translation>镇街边界不可用</translation>
    </message>
    <message>
        <source>Township outlines drawn from households (no boundaries imported)</source>
        <translation>乡镇（街道）轮廓按住户位置绘制（未导入边界）</translation>
    </message>
</context>
<context>
    <name>NoteDialog</name>
    <message>
        <source>Note on the ticket</source>
        <translation>工单备注</translation>
    </message>
    <message>
        <source>What was found or done:</source>
        <translation>发现的情况或处理结果：</translation>
    </message>
    <message>
        <source>e.g. Called the elder: a technician comes tomorrow morning</source>
        <translation>例如：已电话联系老人，维护人员明早上门</translation>
    </message>
</context>
<context>
    <name>OperatorsScreen</name>
    <message>
        <source>Township officer</source>
        <translation>镇街值班员</translation>
    </message>
    <message>
        <source>District officer</source>
        <translation>区值班员</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Operators</source>
        <translation>操作员</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Scope</source>
        <translation>范围</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Locked until</source>
        <translation>锁定至</translation>
    </message>
    <message>
        <source>Last sign-in</source>
        <translation>上次登录</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Disable</source>
        <translation>停用</translation>
    </message>
    <message>
        <source>Reset password…</source>
        <translation>重置密码…</translation>
    </message>
    <message>
        <source>Role and scope…</source>
        <translation>角色与范围…</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source>Enable</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Add operator</source>
        <translation>添加操作员</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Password again</source>
        <translation>再次输入密码</translation>
    </message>
    <message>
        <source>Reset the password of %1</source>
        <translation>重置 %1 的密码</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>新密码</translation>
    </message>
    <message>
        <source>Role and scope of %1</source>
        <translation>%1 的角色与范围</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>Lane</source>
        <translation>分组</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>分值</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>时限</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Household</source>
        <translation>住户</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>研判依据</translation>
    </message>
    <message>
        <source>Responder</source>
        <translation>处置人员</translation>
    </message>
    <message>
        <source>Flags</source>
        <translation>标记</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新警情</translation>
    </message>
    <message>
        <source>In progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>missed %s′</source>
        <translation>超时 %s′</translation>
    </message>
    <message>
        <source>escalated: %s</source>
        <translation>已升级上报：%s</translation>
    </message>
    <message>
        <source>re-ignition</source>
        <translation>疑似复燃</translation>
    </message>
    <message>
        <source>unregistered device</source>
        <translation>未登记设备</translation>
    </message>
    <message>
        <source>Triage score: what the sensors agree on, readings, the household; Ctrl+R ranks by it</source>
        <translation>研判分值：多个传感器互相印证、读数、住户情况；Ctrl+R 按此排序</translation>
    </message>
    <message>
        <source>unregistered device %s</source>
        <translation>未登记设备 %s</translation>
    </message>
</context>
<context>
    <name>ReplayWindow</name>
    <message>
        <source>Guardian Console 守护台</source>
        <translation>守护台</translation>
    </message>
    <message>
        <source>REPLAY</source>
        <translation>回放</translation>
    </message>
    <message>
        <source>REPLAY — read only: nothing is sent, nothing is written</source>
        <translation>回放模式 — 只读：不发送任何消息，不写入任何记录</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Next event</source>
        <translation>下一事件</translation>
    </message>
    <message>
        <source>reading the journal… %v records</source>
        <translation>正在读取日志… %v 条记录</translation>
    </message>
    <message>
        <source>cannot read the journal: %1</source>
        <translation>无法读取日志：%1</translation>
    </message>
    <message numerus="yes">
        <source>%n journal record(s) could not be replayed and were skipped</source>
        <translation>
            <numerusform>%n 条日志记录无法回放，已跳过</numerusform>
        </translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>REPLAY — read only: nothing is sent</source>
        <translation>回放模式 — 只读：不发送任何消息</translation>
    </message>
    <message>
        <source>open %1 · incidents %2 · 1′ met %3% · 5′ met %4% · 30′ met %5% · tickets %6 · offline %7</source>
        <translation>在办 %1 · 警情 %2 · 1′达标 %3% · 5′达标 %4% · 30′达标 %5% · 工单 %6 · 离线 %7</translation>
    </message>
</context>
<context>
    <name>ReportDialog</name>
    <message>
        <source>Shift report</source>
        <translation>交班报表</translation>
    </message>
    <message>
        <source>Daily report</source>
        <translation>日报</translation>
    </message>
    <message>
        <source>Monthly report</source>
        <translation>月报</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>报表</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>PDF (to print)</source>
        <translation>PDF（打印用）</translation>
    </message>
    <message>
        <source>Excel workbook (XLSX)</source>
        <translation>Excel 表格（XLSX）</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>Save to</source>
        <translation>保存到</translation>
    </message>
    <message>
        <source>Make the report</source>
        <translation>生成报表</translation>
    </message>
    <message>
        <source>Month</source>
        <translation>月份</translation>
    </message>
    <message>
        <source>Your shift: %1 %2 to %3 (China time), at most the last 12 hours.</source>
        <translation>本班次：%1 %2 至 %3（北京时间），最多为最近 12 小时。</translation>
    </message>
    <message>
        <source>The whole day, 00:00 to 24:00 (China time).</source>
        <translation>全天，00:00 至 24:00（北京时间）。</translation>
    </message>
    <message>
        <source>The whole month, day by day (China time).</source>
        <translation>整月，按日统计（北京时间）。</translation>
    </message>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF（*.pdf）</translation>
    </message>
    <message>
        <source>Excel workbook (*.xlsx)</source>
        <translation>Excel 表格（*.xlsx）</translation>
    </message>
    <message>
        <source>Save the report</source>
        <translation>保存报表</translation>
    </message>
</context>
<context>
    <name>ReportMenu</name>
    <message>
        <source>Re&amp;ports</source>
        <translation>报表(&amp;P)</translation>
    </message>
    <message>
        <source>Shift report (my shift)…</source>
        <translation>交班报表（本班次）…</translation>
    </message>
    <message>
        <source>Daily report…</source>
        <translation>日报…</translation>
    </message>
    <message>
        <source>Monthly report…</source>
        <translation>月报…</translation>
    </message>
    <message>
        <source>PDF or XLSX, saved where you choose and opened when done</source>
        <translation>PDF 或 XLSX，保存到您选的位置，生成后自动打开</translation>
    </message>
    <message>
        <source>A report is being made: wait for it, or cancel it.</source>
        <translation>正在生成一份报表：请稍候，或先取消它。</translation>
    </message>
    <message>
        <source>Making the report</source>
        <translation>正在生成报表</translation>
    </message>
    <message>
        <source>Reading the journal…</source>
        <translation>正在读取日志…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Reading the journal… %1 records</source>
        <translation>正在读取日志… 已读 %1 条记录</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Report saved: %1</source>
        <translation>报表已保存：%1</translation>
    </message>
    <message>
        <source>Report saved: %1 (no program to open it)</source>
        <translation>报表已保存：%1（没有可打开它的程序）</translation>
    </message>
    <message>
        <source>The report was not made</source>
        <translation>报表未生成</translation>
    </message>
    <message>
        <source>Cannot write the file there: choose another folder.</source>
        <translation>无法写入该位置，请换一个文件夹。</translation>
    </message>
    <message>
        <source>Cannot write the file: %1</source>
        <translation>无法写入文件：%1</translation>
    </message>
    <message>
        <source>There is no household register yet: import it first (Register → Import).</source>
        <translation>还没有住户台账：请先导入（台账 → 导入）。</translation>
    </message>
    <message>
        <source>The report could not be made. The details say why; tell the administrator.</source>
        <translation>报表无法生成。原因见详细信息，请告知管理员。</translation>
    </message>
    <message>
        <source>Report cancelled: no file written.</source>
        <translation>报表已取消：未生成文件。</translation>
    </message>
</context>
<context>
    <name>RevealReasonDialog</name>
    <message>
        <source>Show a number</source>
        <translation>显示号码</translation>
    </message>
    <message>
        <source>Why do you need to see %1? Your reason is recorded in the journal.</source>
        <translation>为什么需要查看%1？原因将记入日志。</translation>
    </message>
    <message>
        <source>Call the elder back</source>
        <translation>回访老人</translation>
    </message>
    <message>
        <source>Contact the guardian</source>
        <translation>联系监护人</translation>
    </message>
    <message>
        <source>Dispatch a responder</source>
        <translation>调度响应人</translation>
    </message>
    <message>
        <source>or write the reason</source>
        <translation>或填写其他原因</translation>
    </message>
    <message numerus="yes">
        <source>The number is shown on this console for %n minute(s), then masked again.</source>
        <translation>
            <numerusform>号码仅在本值班台显示 %n 分钟，之后重新隐藏。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StatusView</name>
    <message>
        <source>ALARM BUS LOST — this console may not hear alarms (%s)</source>
        <translation>报警总线中断 — 本终端可能收不到报警（%s）</translation>
    </message>
    <message numerus="yes">
        <source>JOURNAL NOT WRITABLE — %n event(s) held in memory</source>
        <translation>
            <numerusform>日志无法写入 — %n 条事件暂存于内存</numerusform>
        </translation>
    </message>
    <message>
        <source>CLOCK OFF by %s s — check the time source</source>
        <translation>时钟偏差 %s 秒 — 请检查授时源</translation>
    </message>
    <message>
        <source>WRONG DISTRICT — no household of the register is in district %1: this console listens to that district&apos;s topics and hears nothing of the register&apos;s</source>
        <translation>区县不符 — 台账中没有任何住户属于区县 %1：本台订阅的是该区县的主题，听不到台账中任何住户的消息</translation>
    </message>
    <message>
        <source>NO DISTRICT — no register and no district in the settings: this console listens to the synthetic district SIM only. Import the register.</source>
        <translation>未设置区县 — 没有住户台账，设置中也未指定区县：本台只接收模拟区 SIM 的消息。请导入住户台账。</translation>
    </message>
    <message>
        <source>SEVERAL DISTRICTS in the register (%1) — set this console&apos;s district</source>
        <translation>台账中有多个区县（%1）— 请设置本台所属区县</translation>
    </message>
    <message>
        <source>WRONG TOWNSHIP — no household of the register is in township %1: check the console&apos;s township and the operator&apos;s scope</source>
        <translation>镇街不符 — 台账中没有任何住户属于镇街 %1：请检查本台所属镇街和值班员的管辖范围</translation>
    </message>
    <message numerus="yes">
        <source>NOTHING HEARD IS REGISTERED — %n message(s) from %1 device(s) since %2, none in the register: the bus subscription or the register is not this district&apos;s</source>
        <translation>
            <numerusform>收到的消息均非台账设备 — 自 %2 起收到 %1 台设备的 %n 条消息，没有一台在台账中：总线订阅或住户台账不属于本区县</numerusform>
        </translation>
    </message>
    <message>
        <source>ENGINE STOPPED — this console no longer processes alarms: restart it and call IT (%s)</source>
        <translation>处理引擎已停止 — 本台不再处理警情：请立即重启本台并通知信息科（%s）</translation>
    </message>
    <message numerus="yes">
        <source>ENGINE FAILED and was rebuilt from the journal (%n time(s)) — tell IT: %1</source>
        <translation>
            <numerusform>处理引擎出错，已按日志重建（第 %n 次）— 请通知信息科：%1</numerusform>
        </translation>
    </message>
    <message>
        <source>NOTIFICATIONS NOT SENT — the notification gateway is gone: no SMS or call goes out</source>
        <translation>通知未发出 — 通知网关已离线：短信和电话都发不出去</translation>
    </message>
    <message>
        <source>NOTIFICATIONS AT RISK — provider(s) failing: %1</source>
        <translation>通知可能发不出 — 服务商故障：%1</translation>
    </message>
    <message numerus="yes">
        <source>NOTIFICATIONS NOT SENT — %n notification(s) not accepted by any provider: phone by hand, incident(s) %1</source>
        <translation>
            <numerusform>通知未发出 — %n 条通知未被任何服务商受理：请人工电话通知，事件 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>INGEST BRIDGE DOWN — bridge %1 is gone since %2: alarms from the IoT platforms do not come in</source>
        <translation>接入网关中断 — 接入网关 %1 自 %2 起已离线：物联网平台的报警进不来</translation>
    </message>
    <message>
        <source>INGEST BRIDGE NOT HEARD — nothing from bridge %1 since %2: it may have stopped taking alarms</source>
        <translation>接入网关失联 — 自 %2 起未收到接入网关 %1 的状态：它可能已停止接收报警</translation>
    </message>
    <message>
        <source>INGEST BRIDGE FULL — bridge %1 cannot store more pushes (since %2): the broker is not taking them</source>
        <translation>接入网关积压已满 — 接入网关 %1 无法再存入推送（自 %2 起）：消息总线未接收</translation>
    </message>
    <message>
        <source>PLATFORM SILENT — %3 has pushed nothing to bridge %1 for longer than its devices&apos; heartbeat (last push %4, noticed %2)</source>
        <translation>平台静默 — %3 超过其设备心跳周期未向接入网关 %1 推送（最后推送 %4，%2 发现）</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message numerus="yes">
        <source>DISTRICT SILENT — %n device message(s) from the whole district in %1 min, about %2 expected</source>
        <translation>
            <numerusform>全区设备静默 — %1 分钟内只收到 %n 条设备消息，应约 %2 条</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message numerus="yes">
        <source>SILENT — township %1: %n device message(s) in %2 min, about %3 expected</source>
        <translation>
            <numerusform>静默：%1 %2 分钟内只收到 %n 条设备消息，应约 %3 条</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>… and %n more silent township(s)</source>
        <translation>
            <numerusform>… 另有 %n 个镇街静默</numerusform>
        </translation>
    </message>
    <message>
        <source>automatic backups off</source>
        <translation>自动备份未开启</translation>
    </message>
    <message>
        <source>no backup yet</source>
        <translation>尚无备份</translation>
    </message>
    <message>
        <source>last backup %1</source>
        <translation>上次备份 %1</translation>
    </message>
    <message>
        <source>BACKUP OVERDUE — the last backup of the journal is from %1; tell IT</source>
        <translation>备份已超期 — 日志上次备份于 %1，请通知信息科</translation>
    </message>
    <message>
        <source>NO BACKUP of the journal yet in the backup folder — tell IT</source>
        <translation>备份文件夹中尚无日志备份 — 请通知信息科</translation>
    </message>
    <message>
        <source>Hearing alarms</source>
        <translation>报警接收正常</translation>
    </message>
    <message>
        <source>Alarm bus: %1</source>
        <translation>报警总线：%1</translation>
    </message>
    <message>
        <source>everything recorded</source>
        <translation>日志记录正常</translation>
    </message>
    <message>
        <source>journal NOT writable</source>
        <translation>日志无法写入</translation>
    </message>
    <message numerus="yes">
        <source>%n open incident(s)</source>
        <translation>
            <numerusform>在办警情 %n 起</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n open ticket(s)</source>
        <translation>
            <numerusform>运维工单 %n 张</numerusform>
        </translation>
    </message>
    <message>
        <source>Device messages received: %1</source>
        <translation>已接收设备消息：%1</translation>
    </message>
    <message>
        <source>Duplicates ignored: %1</source>
        <translation>重复消息（已忽略）：%1</translation>
    </message>
    <message>
        <source>Messages rejected: %1</source>
        <translation>被拒收的消息：%1</translation>
    </message>
    <message>
        <source>Heartbeats from devices not in the register: %1</source>
        <translation>未登记设备的心跳：%1</translation>
    </message>
    <message>
        <source>Journal entries: %1</source>
        <translation>日志条数：%1</translation>
    </message>
    <message>
        <source>Register %1: %2 households</source>
        <translation>台账 %1：%2 户</translation>
    </message>
</context>
<context>
    <name>TicketTable</name>
    <message>
        <source>Ticket</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>Household</source>
        <translation>住户</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Trouble</source>
        <translation>异常</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>发起时间</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>时限</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Technician</source>
        <translation>维护人员</translation>
    </message>
    <message>
        <source>Last note</source>
        <translation>最新备注</translation>
    </message>
    <message>
        <source>No open maintenance ticket. Device troubles (offline, low battery, fault, tamper, end of life) appear here, soonest due first.</source>
        <translation>当前没有未完成的运维工单。设备问题（离线、电量低、故障、防拆报警、到期更换）会显示在这里，最先到期的在最上面。</translation>
    </message>
    <message>
        <source>Acknowledge (A)</source>
        <translation>确认 (A)</translation>
    </message>
    <message>
        <source>Acknowledge the ticket: you have seen it (A)</source>
        <translation>确认工单：表示已看到 (A)</translation>
    </message>
    <message>
        <source>Send technician… (D)</source>
        <translation>派人… (D)</translation>
    </message>
    <message>
        <source>Give the ticket to a technician (D)</source>
        <translation>把工单派给维护人员 (D)</translation>
    </message>
    <message>
        <source>Note… (R)</source>
        <translation>备注… (R)</translation>
    </message>
    <message>
        <source>Record what was found or done (R)</source>
        <translation>记录发现的情况或处理结果 (R)</translation>
    </message>
    <message>
        <source>Close… (C)</source>
        <translation>关闭… (C)</translation>
    </message>
    <message>
        <source>Close the ticket with what was done, or why it is closed without a repair (C)</source>
        <translation>关闭工单：写明怎么处理的，或为什么不维修就关闭 (C)</translation>
    </message>
    <message>
        <source>Overdue tickets (past their service level) first, in red; then the soonest due.</source>
        <translation>超时工单（超过处理时限）排在最前，标红；其后按时限先后排列。</translation>
    </message>
    <message>
        <source>%1 · overdue</source>
        <translation>%1 · 已超时</translation>
    </message>
    <message>
        <source>Technician sent: %1</source>
        <translation>已派人：%1</translation>
    </message>
    <message>
        <source>Select a ticket first.</source>
        <translation>请先选中一张工单。</translation>
    </message>
    <message>
        <source>Ticket #%1 acknowledged.</source>
        <translation>工单 #%1 已确认。</translation>
    </message>
    <message>
        <source>Ticket #%1 given to %2.</source>
        <translation>工单 #%1 已派给 %2。</translation>
    </message>
    <message>
        <source>Note added to ticket #%1.</source>
        <translation>工单 #%1 已添加备注。</translation>
    </message>
    <message>
        <source>Ticket #%1 closed (recorded in the journal).</source>
        <translation>工单 #%1 已关闭（已记入日志）。</translation>
    </message>
</context>
<context>
    <name>TriageHeader</name>
    <message>
        <source>To acknowledge</source>
        <translation>待确认</translation>
    </message>
    <message>
        <source>Over 1′</source>
        <translation>超1′</translation>
    </message>
    <message>
        <source>To dispatch</source>
        <translation>待派遣</translation>
    </message>
    <message>
        <source>Over 5′</source>
        <translation>超5′</translation>
    </message>
    <message>
        <source>To close</source>
        <translation>待闭环</translation>
    </message>
    <message>
        <source>Over 30′</source>
        <translation>超30′</translation>
    </message>
    <message>
        <source>Share of today&apos;s incidents (since 00:00) that met each mark, of those already due</source>
        <translation>今日（0 点起）已到期警情中按时达标的比例</translation>
    </message>
    <message>
        <source>Acknowledge miss (K)</source>
        <translation>确认超时 (K)</translation>
    </message>
    <message>
        <source>Today met: 1′ %1 · 5′ %2 · 30′ %3</source>
        <translation>今日达标：1′ %1 · 5′ %2 · 30′ %3</translation>
    </message>
    <message>
        <source>Alarm storm: %1 in %2 min, %3 restored</source>
        <translation>报警风暴：%2 分钟内 %1 起，已恢复 %3 起</translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>等另 %n 项</numerusform>
        </translation>
    </message>
    <message>
        <source>Seen: records that these misses were seen and stops their repeating alert, on every console (K); a new miss sounds again</source>
        <translation>已知悉：记录这些超时已被看到，并在所有工作台停止重复提醒 (K)；新的超时会再次提醒</translation>
    </message>
    <message>
        <source>since</source>
        <translation>自</translation>
    </message>
    <message>
        <source>Notifications held back</source>
        <translation>暂缓发送的通知</translation>
    </message>
    <message>
        <source>Household</source>
        <translation>户</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Since</source>
        <translation>起始</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>In an alarm storm the elder and the guardian are told at once; these are told when the incident is corroborated, scores high, still alarms after the hold, or an officer takes it up.</source>
        <translation>报警风暴中，老人和监护人立即收到通知；以下通知在警情得到佐证、评分高、暂缓期满仍在报警，或值班员接手时发出。</translation>
    </message>
    <message numerus="yes">
        <source>Held back: %n notification(s) to grid workers and cadres — list…</source>
        <translation>
            <numerusform>暂缓：%n 条给网格员和社区干部的通知 — 查看…</numerusform>
        </translation>
    </message>
    <message>
        <source>Deadline missed: %1</source>
        <translation>超时未完成：%1</translation>
    </message>
</context>
<context>
    <name>ValuesDialog</name>
    <message>
        <source>Elder: %1</source>
        <translation>老人：%1</translation>
    </message>
    <message>
        <source>Call the elder through the gateway now</source>
        <translation>立即通过网关呼叫老人</translation>
    </message>
    <message>
        <source>Calling through the gateway… (see the notifications)</source>
        <translation>正在通过网关呼叫…（见通知列表）</translation>
    </message>
    <message>
        <source>What was recorded:</source>
        <translation>已记录的情况：</translation>
    </message>
    <message>
        <source>The cause calls for %1, not escalated: escalate (E) first, or say here why not.</source>
        <translation>该原因应上报%1，尚未上报：请先上报（E），或在此说明不上报的原因。</translation>
    </message>
    <message>
        <source>— choose —</source>
        <translation>— 请选择 —</translation>
    </message>
    <message>
        <source>What was found and done, and who was told (in your words)</source>
        <translation>现场情况、处置经过、已告知谁（请用自己的话写）</translation>
    </message>
    <message>
        <source>Choose: %1</source>
        <translation>请选择：%1</translation>
    </message>
    <message>
        <source>Elder reached</source>
        <translation>已联系到老人</translation>
    </message>
    <message>
        <source>Responder confirmed going</source>
        <translation>响应人已确认前往</translation>
    </message>
    <message>
        <source>On site confirmed</source>
        <translation>已确认到场</translation>
    </message>
    <message>
        <source>Elder and guardian informed</source>
        <translation>已告知老人及监护人</translation>
    </message>
    <message>
        <source>Escalated as the cause calls for</source>
        <translation>已按原因上报</translation>
    </message>
    <message>
        <source>not recorded</source>
        <translation>未记录</translation>
    </message>
</context>
<context>
    <name>WallWindow</name>
    <message>
        <source>Guardian Console — wall</source>
        <translation>守护台 — 大屏</translation>
    </message>
    <message>
        <source>No open incidents</source>
        <translation>暂无未闭环警情</translation>
    </message>
    <message>
        <source>Townships, most overdue first</source>
        <translation>镇街排名（超时多者在前）</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>未闭环</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>Unregistered device %1</source>
        <translation>未登记设备 %1</translation>
    </message>
    <message>
        <source>Queue, top %1 of %2</source>
        <translation>警情队列：前 %1 起，共 %2 起</translation>
    </message>
</context>
<context>
    <name>import</name>
    <message>
        <source>Choose the register file</source>
        <translation>选择住户登记表文件</translation>
    </message>
    <message>
        <source>CSV or XLSX in the template&apos;s columns (resources/register/template.xlsx).</source>
        <translation>按模板列格式填写的 CSV 或 XLSX 文件（resources/register/template.xlsx）。</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Remove households that are not in the file</source>
        <translation>删除文件中没有的住户</translation>
    </message>
    <message>
        <source>Township boundaries (GeoJSON, optional)</source>
        <translation>乡镇（街道）边界（GeoJSON，可选）</translation>
    </message>
    <message>
        <source>Township boundaries</source>
        <translation>乡镇（街道）边界</translation>
    </message>
    <message>
        <source>Register file</source>
        <translation>住户登记表文件</translation>
    </message>
    <message>
        <source>Importing</source>
        <translation>正在导入</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>导入结果</translation>
    </message>
    <message>
        <source>Row</source>
        <translation>行号</translation>
    </message>
    <message>
        <source>Column</source>
        <translation>列</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>Save error report…</source>
        <translation>保存错误报告…</translation>
    </message>
    <message>
        <source>Import household register</source>
        <translation>导入住户登记表</translation>
    </message>
    <message>
        <source>Checking rows: {done} of {total}</source>
        <translation>正在校验：{done} / {total} 行</translation>
    </message>
    <message>
        <source>Saving (one transaction)…</source>
        <translation>正在保存（单一事务）…</translation>
    </message>
    <message>
        <source>Checking the township boundaries…</source>
        <translation>正在检查乡镇（街道）边界…</translation>
    </message>
    <message>
        <source>{total} rows: {valid} valid, {errors} errors. Added {added}, updated {updated}, unchanged {unchanged}, removed {removed}.{saved}</source>
        <translation>共 {total} 行：有效 {valid} 行，错误 {errors} 行。新增 {added} 户，更新 {updated} 户，未变 {unchanged} 户，删除 {removed} 户。{saved}</translation>
    </message>
    <message>
        <source>Nothing was changed.</source>
        <translation>未做任何更改。</translation>
    </message>
    <message>
        <source>{warnings} warnings: those rows were imported; please check them.</source>
        <translation>{warnings} 条警告：这些行已导入，请核对。</translation>
    </message>
    <message>
        <source>Township boundaries: {features} features, {townships} townships, {errors} errors, {warnings} warnings. {state}</source>
        <translation>乡镇（街道）边界：{features} 个要素，{townships} 个乡镇（街道），{errors} 个错误，{warnings} 条警告。{state}</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source>Nothing was saved.</source>
        <translation>未保存任何内容。</translation>
    </message>
    <message>
        <source>feature {n}</source>
        <translation>要素 {n}</translation>
    </message>
    <message>
        <source>The township boundaries were not imported: {m}</source>
        <translation>乡镇（街道）边界未导入：{m}</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>The import failed and nothing was changed: {m}</source>
        <translation>导入失败，未做任何更改：{m}</translation>
    </message>
    <message>
        <source>Error report</source>
        <translation>错误报告</translation>
    </message>
</context>
<context>
    <name>kpi</name>
    <message>
        <source>Alarms, last 24 h</source>
        <translation>近 24 小时报警数</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>警情数</translation>
    </message>
    <message>
        <source>1 min met</source>
        <translation>1 分钟达标率</translation>
    </message>
    <message>
        <source>5 min met</source>
        <translation>5 分钟达标率</translation>
    </message>
    <message>
        <source>30 min met</source>
        <translation>30 分钟达标率</translation>
    </message>
    <message>
        <source>Dispatch median / p90 (min)</source>
        <translation>派遣用时 中位数/P90（分钟）</translation>
    </message>
    <message>
        <source>Closure median / p90 (min)</source>
        <translation>闭环用时 中位数/P90（分钟）</translation>
    </message>
    <message>
        <source>Closure rate</source>
        <translation>闭环率</translation>
    </message>
    <message>
        <source>Devices online</source>
        <translation>设备在线率</translation>
    </message>
    <message>
        <source>Open tickets</source>
        <translation>未结工单</translation>
    </message>
    <message>
        <source>Accepted within 1 min</source>
        <translation>1分钟内服务商受理</translation>
    </message>
    <message>
        <source>Delivered within 1 min</source>
        <translation>1分钟内送达</translation>
    </message>
    <message>
        <source>Alarms per hour, last 24 h</source>
        <translation>近 24 小时每小时报警数</translation>
    </message>
    <message>
        <source>Alarms per day and devices online</source>
        <translation>每日报警数与设备在线率</translation>
    </message>
    <message>
        <source>Open tickets by age</source>
        <translation>未结工单（按时长）</translation>
    </message>
    <message>
        <source>online</source>
        <translation>在线率</translation>
    </message>
    <message>
        <source>Township</source>
        <translation>镇街</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>报警数</translation>
    </message>
    <message>
        <source>1 min</source>
        <translation>1 分钟</translation>
    </message>
    <message>
        <source>5 min</source>
        <translation>5 分钟</translation>
    </message>
    <message>
        <source>30 min</source>
        <translation>30 分钟</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>在线率</translation>
    </message>
    <message>
        <source>Tickets</source>
        <translation>工单</translation>
    </message>
    <message>
        <source>{met} of {decided}; {pending} not yet due</source>
        <translation>{decided} 起中 {met} 起达标；{pending} 起未到时限</translation>
    </message>
    <message>
        <source>{met} of {decided}</source>
        <translation>{decided} 起中 {met} 起</translation>
    </message>
    <message>
        <source>{n} journal records; period {a} to {b}</source>
        <translation>日志记录 {n} 条；统计期间 {a} 至 {b}</translation>
    </message>
    <message>
        <source>Computing…</source>
        <translation>计算中…</translation>
    </message>
    <message>
        <source>KPIs could not be computed: {m}</source>
        <translation>指标无法计算：{m}</translation>
    </message>
</context>
<context>
    <name>report</name>
    <message>
        <source>Guardian daily report %1</source>
        <translation>守护台日报 %1</translation>
    </message>
    <message>
        <source>Guardian monthly report %1</source>
        <translation>守护台月报 %1</translation>
    </message>
    <message>
        <source>Guardian shift handover report %1</source>
        <translation>守护台交接班报告 %1</translation>
    </message>
    <message>
        <source>Alerting</source>
        <translation>告警中</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>Low battery</source>
        <translation>低电量</translation>
    </message>
    <message>
        <source>Tamper</source>
        <translation>防拆</translation>
    </message>
</context>
<context>
    <name>words</name>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Alerting</source>
        <translation>通知中</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Dispatched</source>
        <translation>已派遣</translation>
    </message>
    <message>
        <source>On site</source>
        <translation>已到场</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>已处置</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已闭环</translation>
    </message>
    <message>
        <source>Smoke</source>
        <translation>烟感</translation>
    </message>
    <message>
        <source>CO</source>
        <translation>一氧化碳</translation>
    </message>
    <message>
        <source>Gas</source>
        <translation>燃气</translation>
    </message>
    <message>
        <source>Electrical</source>
        <translation>电气</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Elder</source>
        <translation>老人</translation>
    </message>
    <message>
        <source>Guardian</source>
        <translation>监护人</translation>
    </message>
    <message>
        <source>Grid worker</source>
        <translation>网格员</translation>
    </message>
    <message>
        <source>Community cadre</source>
        <translation>社区干部</translation>
    </message>
    <message>
        <source>Courtyard head</source>
        <translation>院落长</translation>
    </message>
    <message>
        <source>Neighbour</source>
        <translation>邻居</translation>
    </message>
    <message>
        <source>Officer</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>Responder</source>
        <translation>处置人员</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>Real fire</source>
        <translation>真实火情</translation>
    </message>
    <message>
        <source>Cooking smoke</source>
        <translation>烹饪油烟</translation>
    </message>
    <message>
        <source>Gas leak</source>
        <translation>燃气泄漏</translation>
    </message>
    <message>
        <source>CO poisoning</source>
        <translation>一氧化碳中毒</translation>
    </message>
    <message>
        <source>Electrical fault</source>
        <translation>电气故障</translation>
    </message>
    <message>
        <source>False alarm</source>
        <translation>误报</translation>
    </message>
    <message>
        <source>Device fault</source>
        <translation>设备故障</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>District center</source>
        <translation>区指挥中心</translation>
    </message>
    <message>
        <source>Fire 119</source>
        <translation>消防 119</translation>
    </message>
    <message>
        <source>Ambulance 120</source>
        <translation>急救 120</translation>
    </message>
    <message>
        <source>Power company</source>
        <translation>供电公司</translation>
    </message>
    <message>
        <source>Gas company</source>
        <translation>燃气公司</translation>
    </message>
    <message>
        <source>Incident %1: %2 replied they are going (dispatch confirmed)</source>
        <translation>事件 %1：%2 回复马上前往（已确认派遣）</translation>
    </message>
    <message>
        <source>Incident %1: %2 replied they cannot go: send the next nearest</source>
        <translation>事件 %1：%2 回复无法前往：请派遣下一位最近人员</translation>
    </message>
    <message>
        <source>Incident %1: %2 replied</source>
        <translation>事件 %1：%2 已回复</translation>
    </message>
    <message>
        <source>Another workstation changed this incident first; the view is refreshed, check and try again.</source>
        <translation>其他席位已先行修改此警情，界面已刷新，请核对后重试。</translation>
    </message>
    <message>
        <source>You are not logged in on this console.</source>
        <translation>您尚未在本终端登录。</translation>
    </message>
    <message>
        <source>This incident belongs to another township.</source>
        <translation>该警情属于其他镇街。</translation>
    </message>
    <message>
        <source>Unknown incident.</source>
        <translation>警情不存在。</translation>
    </message>
    <message>
        <source>The incident is already closed.</source>
        <translation>该警情已闭环。</translation>
    </message>
    <message>
        <source>Incident %1 is already closed: nothing more to do on it.</source>
        <translation>警情 %1 已闭环，无需再处理。</translation>
    </message>
    <message>
        <source>The household has no such contact to call.</source>
        <translation>该住户没有这个联系人，无法呼叫。</translation>
    </message>
    <message>
        <source>No answer from the responder came through the gateway: say how the arrival was confirmed (by phone, in person).</source>
        <translation>网关未收到响应人的回复：请说明是如何确认到场的（电话、当面）。</translation>
    </message>
    <message>
        <source>This checklist has no such step.</source>
        <translation>处置清单中没有此步骤。</translation>
    </message>
    <message>
        <source>This step is already done.</source>
        <translation>该步骤已完成。</translation>
    </message>
    <message>
        <source>Do these steps first:</source>
        <translation>请先完成以下步骤：</translation>
    </message>
    <message>
        <source>A required field is empty:</source>
        <translation>必填项为空：</translation>
    </message>
    <message>
        <source>Choose a cause from the list.</source>
        <translation>请从列表中选择原因。</translation>
    </message>
    <message>
        <source>Required steps are still open:</source>
        <translation>尚有必做步骤未完成：</translation>
    </message>
    <message>
        <source>Your role may not do this.</source>
        <translation>您的岗位无此操作权限。</translation>
    </message>
    <message>
        <source>Unknown escalation target.</source>
        <translation>未知的升级上报对象。</translation>
    </message>
    <message>
        <source>Already escalated to that target.</source>
        <translation>已向该对象升级上报。</translation>
    </message>
    <message>
        <source>A resolved incident cannot be escalated.</source>
        <translation>已处置的警情不能再升级上报。</translation>
    </message>
    <message>
        <source>No checklist for this kind of incident.</source>
        <translation>此类警情没有处置清单。</translation>
    </message>
    <message>
        <source>Still alarming, not restored:</source>
        <translation>仍在报警，未恢复：</translation>
    </message>
    <message>
        <source>More than one sensor alarmed: handle it one by one.</source>
        <translation>不止一个探测器报警：请逐起处置。</translation>
    </message>
    <message>
        <source>Unregistered device: a person must look at it.</source>
        <translation>未登记设备：须人工处置。</translation>
    </message>
    <message>
        <source>Already resolved: close it from its checklist.</source>
        <translation>已处置完毕：请在其清单中关闭。</translation>
    </message>
    <message>
        <source>Someone was dispatched: close it from its checklist.</source>
        <translation>已派人前往：请在其清单中关闭。</translation>
    </message>
    <message>
        <source>Listed twice in the same bulk close.</source>
        <translation>同一批量关闭中重复列出。</translation>
    </message>
    <message>
        <source>The elder was not reached: no answered call on record.</source>
        <translation>未联系到老人：没有老人接听电话的记录。</translation>
    </message>
    <message>
        <source>No incidents to close.</source>
        <translation>没有要关闭的警情。</translation>
    </message>
    <message>
        <source>This command is not valid:</source>
        <translation>此命令无效：</translation>
    </message>
    <message>
        <source>Not a 1-5-30 mark:</source>
        <translation>不是 1-5-30 节点：</translation>
    </message>
    <message>
        <source>That mark was not missed:</source>
        <translation>该节点并未超时：</translation>
    </message>
    <message>
        <source>That miss is already acknowledged:</source>
        <translation>该超时已确认过：</translation>
    </message>
    <message>
        <source>Give a reason to show the number.</source>
        <translation>请填写查看号码的原因。</translation>
    </message>
    <message>
        <source>This household is not in the register.</source>
        <translation>台账中没有该住户。</translation>
    </message>
    <message>
        <source>This number is not in the household&apos;s file.</source>
        <translation>该号码不在住户档案中。</translation>
    </message>
    <message>
        <source>Unknown maintenance ticket.</source>
        <translation>未知的运维工单。</translation>
    </message>
    <message>
        <source>This maintenance ticket is already closed.</source>
        <translation>该运维工单已关闭。</translation>
    </message>
    <message>
        <source>This action does not apply to a maintenance ticket.</source>
        <translation>运维工单不能执行此操作。</translation>
    </message>
    <message>
        <source>No delivered SMS on record to:</source>
        <translation>没有已送达的短信记录：</translation>
    </message>
    <message>
        <source>Choose a value from the list:</source>
        <translation>请从列表中选择：</translation>
    </message>
    <message>
        <source>This cause calls for an escalation; escalate, or give the reason not to:</source>
        <translation>该原因需要升级上报；请升级上报，或填写不上报的理由：</translation>
    </message>
    <message>
        <source>Write what was done, or why it is closed without a repair:</source>
        <translation>请写明怎么处理的，或为什么不维修就关闭：</translation>
    </message>
    <message>
        <source>Refused (%1).</source>
        <translation>操作被拒绝（%1）。</translation>
    </message>
    <message>
        <source>address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>alarm kinds</source>
        <translation>报警类型</translation>
    </message>
    <message>
        <source>incident number</source>
        <translation>事件号</translation>
    </message>
    <message>
        <source>Cause</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Feedback</source>
        <translation>反馈</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Finding</source>
        <translation>现场情况</translation>
    </message>
    <message>
        <source>Confirmed by</source>
        <translation>确认方式</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>人员</translation>
    </message>
    <message>
        <source>How</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>Why not escalated</source>
        <translation>未升级上报的理由</translation>
    </message>
    <message>
        <source>reached, safe</source>
        <translation>已接通，安全</translation>
    </message>
    <message>
        <source>reached, needs help</source>
        <translation>已接通，需要帮助</translation>
    </message>
    <message>
        <source>not reached</source>
        <translation>未接通</translation>
    </message>
    <message>
        <source>called through the gateway</source>
        <translation>经网关拨打</translation>
    </message>
    <message>
        <source>dialled by hand</source>
        <translation>手动拨打</translation>
    </message>
    <message>
        <source>by phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <source>in person</source>
        <translation>当面</translation>
    </message>
    <message>
        <source>elder and guardian</source>
        <translation>老人及监护人</translation>
    </message>
    <message>
        <source>Township officer</source>
        <translation>镇街值班员</translation>
    </message>
    <message>
        <source>District officer</source>
        <translation>区值班员</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>payload too large</source>
        <translation>报文过大</translation>
    </message>
    <message>
        <source>bad topic</source>
        <translation>主题无效</translation>
    </message>
    <message>
        <source>malformed JSON</source>
        <translation>JSON 格式错误</translation>
    </message>
    <message>
        <source>not a JSON object</source>
        <translation>不是 JSON 对象</translation>
    </message>
    <message>
        <source>missing field</source>
        <translation>缺少字段</translation>
    </message>
    <message>
        <source>wrong field type</source>
        <translation>字段类型错误</translation>
    </message>
    <message>
        <source>unknown schema version</source>
        <translation>未知的协议版本</translation>
    </message>
    <message>
        <source>unknown sensor kind</source>
        <translation>未知的传感器类型</translation>
    </message>
    <message>
        <source>unknown event</source>
        <translation>未知事件</translation>
    </message>
    <message>
        <source>bad timestamp</source>
        <translation>时间戳无效</translation>
    </message>
    <message>
        <source>event id too long</source>
        <translation>事件编号过长</translation>
    </message>
    <message>
        <source>device id too long</source>
        <translation>设备编号过长</translation>
    </message>
    <message>
        <source>device id differs from topic</source>
        <translation>设备编号与主题不符</translation>
    </message>
    <message>
        <source>a field given twice</source>
        <translation>字段重复出现</translation>
    </message>
    <message>
        <source>control or direction characters</source>
        <translation>含控制字符或方向字符</translation>
    </message>
    <message>
        <source>blank or padded id</source>
        <translation>编号为空白或首尾有空格</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Fault</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>Low battery</source>
        <translation>电量低</translation>
    </message>
    <message>
        <source>Tamper</source>
        <translation>防拆报警</translation>
    </message>
    <message>
        <source>End of life</source>
        <translation>寿命到期</translation>
    </message>
    <message>
        <source>Severely disabled</source>
        <translation>重度残疾</translation>
    </message>
    <message>
        <source>Disabled / dementia</source>
        <translation>失能/失智</translation>
    </message>
    <message>
        <source>State-supported</source>
        <translation>特困供养</translation>
    </message>
    <message>
        <source>Living alone / empty nest</source>
        <translation>独居/空巢</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>危急</translation>
    </message>
    <message>
        <source>Unprotected</source>
        <translation>未防护</translation>
    </message>
    <message>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>SMS</source>
        <translation>短信</translation>
    </message>
    <message>
        <source>Voice call</source>
        <translation>语音电话</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>待发送</translation>
    </message>
    <message>
        <source>Handed to gateway</source>
        <translation>已提交网关</translation>
    </message>
    <message>
        <source>Accepted by the provider</source>
        <translation>服务商已受理</translation>
    </message>
    <message>
        <source>Blocked by a sending limit</source>
        <translation>受发送频次限制未发出</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>已发送</translation>
    </message>
    <message>
        <source>Delivered</source>
        <translation>已送达</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>已接听</translation>
    </message>
    <message>
        <source>No answer</source>
        <translation>未接听</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Held back (storm)</source>
        <translation>暂缓（报警风暴）</translation>
    </message>
    <message>
        <source>Not sent (restored)</source>
        <translation>未发送（已恢复）</translation>
    </message>
    <message>
        <source>the vendor broker %1</source>
        <translation>厂商消息服务器 %1</translation>
    </message>
    <message>
        <source>CTWing (China Telecom)</source>
        <translation>天翼物联 CTWing（中国电信）</translation>
    </message>
    <message>
        <source>OneNET (China Mobile)</source>
        <translation>OneNET（中国移动）</translation>
    </message>
    <message>
        <source>IoTDA (Huawei Cloud)</source>
        <translation>IoTDA（华为云）</translation>
    </message>
    <message>
        <source>refused by %1 (%2)</source>
        <translation>%1 拒绝发送（%2）</translation>
    </message>
    <message>
        <source>a minute</source>
        <translation>每分钟</translation>
    </message>
    <message>
        <source>an hour</source>
        <translation>每小时</translation>
    </message>
    <message>
        <source>a day</source>
        <translation>每天</translation>
    </message>
    <message>
        <source>sending limit of %1 per number (%2)</source>
        <translation>%1 单号码发送限制（%2）</translation>
    </message>
    <message>
        <source>no approved template for it</source>
        <translation>没有已审批的模板</translation>
    </message>
    <message>
        <source>the %1 does not fit the approved template</source>
        <translation>%1 超出已审批模板的长度</translation>
    </message>
    <message>
        <source>the template lacks the %1</source>
        <translation>模板缺少%1</translation>
    </message>
    <message>
        <source>not a valid phone number</source>
        <translation>不是有效的电话号码</translation>
    </message>
    <message>
        <source>a channel the gateway does not send</source>
        <translation>网关不支持的发送方式</translation>
    </message>
    <message>
        <source>no provider configured for it</source>
        <translation>未配置服务商</translation>
    </message>
    <message>
        <source>No receipt after %1 s</source>
        <translation>无回执，已 %1 秒</translation>
    </message>
    <message>
        <source>Accepted, no delivery receipt after %1 s</source>
        <translation>已受理，无送达回执，已 %1 秒</translation>
    </message>
    <message>
        <source>triage score %1</source>
        <translation>分诊评分 %1</translation>
    </message>
    <message>
        <source>an officer took it up (%1)</source>
        <translation>值班员已接手（%1）</translation>
    </message>
    <message>
        <source>alarm storm</source>
        <translation>报警风暴</translation>
    </message>
    <message>
        <source>a second sensor alarmed</source>
        <translation>第二个探测器报警</translation>
    </message>
    <message>
        <source>still alarming after the hold</source>
        <translation>暂缓期满仍在报警</translation>
    </message>
    <message>
        <source>the storm is over</source>
        <translation>风暴已结束</translation>
    </message>
    <message>
        <source>every sensor restored</source>
        <translation>所有探测器已恢复</translation>
    </message>
    <message>
        <source>incident closed</source>
        <translation>警情已关闭</translation>
    </message>
    <message>
        <source>%1 told by %2</source>
        <translation>已通知%1（%2）</translation>
    </message>
    <message>
        <source>No numbers configured for %1: phone it</source>
        <translation>%1 未配置通知号码：请电话联系</translation>
    </message>
    <message>
        <source>The cause calls for %1</source>
        <translation>该原因应上报%1</translation>
    </message>
    <message>
        <source>The officer had the gateway call the %1</source>
        <translation>值班员通过网关呼叫%1</translation>
    </message>
    <message>
        <source>call %1</source>
        <translation>第 %1 次呼叫</translation>
    </message>
    <message>
        <source>This maintenance ticket belongs to another township.</source>
        <translation>该工单属于其他镇街。</translation>
    </message>
    <message>
        <source>Write who is sent to the ticket.</source>
        <translation>请填写派去的维护人员。</translation>
    </message>
    <message>
        <source>Write the note first.</source>
        <translation>请先填写备注。</translation>
    </message>
    <message>
        <source>by SMS</source>
        <translation>短信回复</translation>
    </message>
    <message>
        <source>by key in the call</source>
        <translation>电话按键</translation>
    </message>
    <message>
        <source>going</source>
        <translation>马上到场</translation>
    </message>
    <message>
        <source>cannot go</source>
        <translation>无法前往</translation>
    </message>
    <message>
        <source>other answer</source>
        <translation>其他回复</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1：%2</translation>
    </message>
    <message>
        <source>Step done: %1</source>
        <translation>完成：%1</translation>
    </message>
    <message>
        <source>The %1′ mark was missed</source>
        <translation>%1 分钟时限超时</translation>
    </message>
    <message>
        <source>%1 s after T0</source>
        <translation>报警后 %1 秒</translation>
    </message>
    <message>
        <source>Miss of the %1′ mark acknowledged</source>
        <translation>%1′ 超时已确认</translation>
    </message>
    <message>
        <source>Refused: %1</source>
        <translation>已拒绝：%1</translation>
    </message>
    <message>
        <source>Escalated to %1</source>
        <translation>已升级上报：%1</translation>
    </message>
    <message>
        <source>automatically: the %1′ mark was missed</source>
        <translation>自动：%1 分钟时限超时</translation>
    </message>
    <message>
        <source>Reply from %1</source>
        <translation>%1 回复</translation>
    </message>
    <message>
        <source>%1 by %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>%1: switched to %2</source>
        <translation>%1：改用%2</translation>
    </message>
    <message>
        <source>because: %1</source>
        <translation>原渠道：%1</translation>
    </message>
    <message>
        <source>%1: %2 tried again</source>
        <translation>%1：%2 重试</translation>
    </message>
    <message>
        <source>attempt %1</source>
        <translation>第 %1 次</translation>
    </message>
    <message>
        <source>Notifications held back (storm)</source>
        <translation>通知暂缓（报警风暴）</translation>
    </message>
    <message>
        <source>Held notifications sent</source>
        <translation>暂缓的通知已发出</translation>
    </message>
    <message>
        <source>Held notifications dropped</source>
        <translation>暂缓的通知不再发送</translation>
    </message>
    <message>
        <source>Dispatch confirmed by the responder</source>
        <translation>响应人确认前往（已派遣）</translation>
    </message>
    <message>
        <source>The responder cannot go</source>
        <translation>响应人无法前往</translation>
    </message>
    <message>
        <source>%1 cannot go; proposed next: %2</source>
        <translation>%1 无法前往；建议下一位：%2</translation>
    </message>
    <message>
        <source>nobody left</source>
        <translation>已无其他人选</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Sensor restored</source>
        <translation>探测器已恢复</translation>
    </message>
    <message>
        <source>Alarm again after restore: possible re-ignition</source>
        <translation>恢复后再次报警：疑似复燃</translation>
    </message>
    <message>
        <source>The device is not in the register</source>
        <translation>设备未登记</translation>
    </message>
    <message>
        <source>Alarm silenced at the device</source>
        <translation>设备端已消音</translation>
    </message>
    <message>
        <source>Reassigned to %1</source>
        <translation>已转交 %1</translation>
    </message>
    <message>
        <source>Closed in a bulk close</source>
        <translation>批量关闭</translation>
    </message>
    <message>
        <source>%1, %2 incidents together</source>
        <translation>%1，共 %2 起一并闭环</translation>
    </message>
    <message>
        <source>First notification accepted by a provider</source>
        <translation>首条通知已被服务商受理</translation>
    </message>
    <message>
        <source>First notification delivered</source>
        <translation>首条通知已送达</translation>
    </message>
    <message>
        <source>Notifications handed to the gateway</source>
        <translation>通知已提交网关</translation>
    </message>
    <message>
        <source>%1 in the batch</source>
        <translation>本批 %1 条</translation>
    </message>
    <message>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>重连中</translation>
    </message>
    <message>
        <source>blind for too long</source>
        <translation>长时间失联</translation>
    </message>
    <message>
        <source>not connected yet</source>
        <translation>尚未连接</translation>
    </message>
    <message>
        <source>%1 is 80 or older</source>
        <translation>%1 年满 80 岁</translation>
    </message>
    <message>
        <source>no %1 detector</source>
        <translation>未装%1探测器</translation>
    </message>
    <message>
        <source>device %1 offline</source>
        <translation>设备 %1 离线</translation>
    </message>
    <message>
        <source>cooks with gas, no CO detector</source>
        <translation>使用燃气但未装一氧化碳探测器</translation>
    </message>
    <message>
        <source>%1 incident(s) in 90 days</source>
        <translation>90 天内 %1 起警情</translation>
    </message>
    <message>
        <source>%1 real fire(s) in a year</source>
        <translation>一年内 %1 起真实火情</translation>
    </message>
</context>
</TS>
