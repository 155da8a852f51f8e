/**
 * The maintenance guide's controls (1.1–6.4), each summarised in a line in English and in
 * Chinese, so a message can say what a control number means without the reader opening the
 * guide. Paraphrased from the guide, not quoted.
 */
export type Language = 'en' | 'zh';

export interface ControlText {
  readonly en: string;
  readonly zh: string;
}

export const controlCatalogue: Readonly<Record<string, ControlText>> = {
  '1.1': { en: 'Tiered backups: hot data replicated off-site in real time; cold data fully backed up weekly and kept 3 years.', zh: '分级备份:热数据实时同步到异地;冷数据每周全量备份,至少保留3年。' },
  '1.2': { en: 'Backups are restore-tested on a schedule, so a useless backup is found before it is needed.', zh: '定期做恢复测试,确保备份真的能恢复。' },
  '1.3': { en: 'Sensitive data (customers, payroll) is encrypted in transit and at rest.', zh: '客户资料、薪酬等敏感数据在传输和存储时都要加密。' },
  '2.1': { en: 'Least privilege: each job gets only the modules it needs.', zh: '最小权限:按岗位只开放所需的功能模块。' },
  '2.2': { en: 'No shared accounts: one person, one account, bound to a device.', zh: '禁止共享账号:一人一号,并绑定设备。' },
  '2.3': { en: 'Access of movers and leavers is revoked and reassigned within 24 hours.', zh: '员工调岗或离职后24小时内回收并重新分配权限。' },
  '2.4': { en: 'Temporary grants carry an expiry, and what is done under them is logged.', zh: '临时授权须设有效期,并记录其下的所有操作。' },
  '2.5': { en: 'A monthly permission audit finds redundant access (leftover leaver accounts, stale roles).', zh: '每月权限审计,找出冗余权限(离职未清理、调岗未调整)。' },
  '3.1': { en: 'Infrastructure limits: CPU at most 75 %, memory at most 85 %, at least 20 % disk free.', zh: '基础指标阈值:CPU不超过75%,内存不超过85%,磁盘剩余不少于20%。' },
  '3.2': { en: 'Business limits: orders processed within 2 s, reports generated within 30 s.', zh: '业务指标阈值:订单处理不超过2秒,报表生成不超过30秒。' },
  '3.3': { en: 'Bottlenecks are traced: slow SQL, and the modules that raise errors most often.', zh: '定位瓶颈:追踪慢SQL,找出高频报错的模块。' },
  '4.1': { en: 'Every change has a request signed off by the business department and the IT lead.', zh: '每项变更都要有变更申请,由业务部门和IT负责人双签批准。' },
  '4.2': { en: 'A production change passes in the test environment first and has a rollback plan.', zh: '生产变更须先在测试环境验证通过,并备好回滚方案。' },
  '4.3': { en: 'Each change records its code version, configuration files and database scripts.', zh: '每次变更记录代码版本、配置文件和数据库脚本。' },
  '4.4': { en: 'No direct edits in production: changes go through version control.', zh: '禁止直接改生产环境,变更须经版本控制合并。' },
  '5.1': { en: 'An incident severity table sets the response time and procedure for each level.', zh: '故障分级响应表规定每个级别的响应时限与处理流程。' },
  '5.2': { en: 'Standby servers and links; core business can switch to offline mode in an emergency.', zh: '备用服务器和链路;紧急时核心业务可切换到离线模式。' },
  '5.3': { en: 'A failure drill every quarter measures the team\'s response and the recovery time.', zh: '每季度一次故障演练,检验应急能力和恢复速度。' },
  '6.1': { en: 'Operation logs (logins, data and permission changes) are kept at least 6 months.', zh: '登录、数据修改、权限变更等操作日志至少保存6个月。' },
  '6.2': { en: 'High-risk operations such as bulk deletes need a second person\'s verification and always leave a trace.', zh: '批量删除等高风险操作须双人验证,并强制留痕。' },
  '6.3': { en: 'Internal audit regularly gets a log-analysis report explaining abnormal operations.', zh: '定期向内审提供日志分析报告,说明异常操作及整改。' },
  '6.4': { en: 'A log platform offers keyword search and spots unusual behaviour patterns.', zh: '日志平台支持关键词搜索并识别异常行为模式。' },
};

/** The control's meaning in the language, or a neutral line for a control the catalogue does not know. */
export function describeControl(control: string, language: Language): string {
  const text = controlCatalogue[control];
  if (text !== undefined) return text[language];
  return language === 'zh' ? `维护指南控制项 ${control}` : `Control ${control} of the maintenance guide`;
}

/** The guide's six areas, in its order (control 1.x is backup ... 6.x audit). */
export const GUIDE_AREAS = ['backup', 'access', 'performance', 'change', 'incident', 'audit'] as const;
export type GuideAreaName = (typeof GUIDE_AREAS)[number];

/** Each area's heading in the guide, in English and in Chinese (keyed by GUIDE_AREAS, so the compiler keeps the two together). */
export const GUIDE_AREA_TITLES: Readonly<Record<GuideAreaName, ControlText>> = {
  backup: { en: 'Data security and backup', zh: '数据安全与备份' },
  access: { en: 'User permissions and access control', zh: '用户权限与访问控制' },
  performance: { en: 'Performance and resource monitoring', zh: '性能与资源监控' },
  change: { en: 'Change management and version control', zh: '变更管理与版本控制' },
  incident: { en: 'Incident response and business continuity', zh: '故障响应与业务连续性' },
  audit: { en: 'Compliance audit and log management', zh: '合规审计与日志管理' },
};

/** "2.3" → "access": the guide's areas are numbered 1–6 in this order. */
export function areaOfControl(control: string): GuideAreaName | undefined {
  return GUIDE_AREAS[Number(control.split('.')[0]) - 1];
}
