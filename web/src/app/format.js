// Words and numbers as a Chinese police user reads them: kinds, roles and relationship
// types in Chinese; dates in Beijing time; amounts in yuan.
export const KINDS = {
  Person: "人员",
  Phone: "号码",
  BankAccount: "账户",
  Vehicle: "车辆",
  Case: "案件",
  Warrant: "通缉令",
  Place: "场所",
  Unit: "单位",
  Operation: "合成作战",
  Alert: "预警",
  Record: "源记录",
  StopPayment: "止付申请",
};

export const RELATIONS = {
  HAS_PHONE: "使用号码",
  HOLDS: "持有账户",
  OWNS: "登记车辆",
  SUSPECT_IN: "嫌疑人",
  VICTIM_IN: "受害人",
  WITNESS_IN: "证人",
  TRANSFERRED: "转账",
  CALLED: "通话",
  STAYED_AT: "住宿/上网",
  TRAVELLED: "出行",
  PASSED: "卡口通行",
  WANTED_BY: "被通缉",
  HANDLED_BY: "承办单位",
  INCLUDES: "纳入作战",
  ABOUT: "涉及",
  STOPS: "止付",
  RECORD_OF: "源记录",
  LINKED: "共同关联",
};

export const ROLES = {
  investigator: "侦查员",
  analyst: "分析员",
  supervisor: "主管",
  connector: "接口账号",
  admin: "管理员",
};

// SUSPECT_IN.role (graph_schema): what part a suspect played in the case
export const SUSPECT_ROLES = { organiser: "组织者", caller: "话务员", mule: "车手", other: "其他" };

export const SOURCES = {
  cases: "案件管理系统",
  fraud: "反诈中心",
  fugitives: "网上逃犯系统",
  bigdata: "大数据中心",
  demo: "演示数据",
  hub: "研判平台",
};

export const RULES = {
  fugitive_seen: "在逃人员现身",
  transfer_to_fraud_account: "资金流入涉诈账户",
  shared_across_units: "跨单位共用线索",
};

export const ALERT_STATUS = { new: "未处理", acknowledged: "已签收", resolved: "已处置" };
export const OPERATION_STATUS = { open: "进行中", closed: "已结束" };
export const OUTCOMES = {
  cash_out: "已取现",
  frozen: "已冻结",
  unknown: "资金尚在，可止付",
};

export const FIGURES = {
  casesAccepted: "受理案件",
  casesFiled: "立案",
  casesSolved: "破案",
  suspectsCaught: "抓获嫌疑人",
  fraudReports: "电诈报案",
  fraudLosses: "电诈损失（元）",
  warningsIssued: "发出预警",
  victimsDissuaded: "成功劝阻",
  stopPaymentAmount: "紧急止付金额（元）",
};

const DATE_TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "long",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});
const DATE = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "long",
  day: "numeric",
});
const YUAN = new Intl.NumberFormat("zh-CN", { style: "currency", currency: "CNY" });
const NUMBER = new Intl.NumberFormat("zh-CN");

export function dateTime(value) {
  return value ? DATE_TIME.format(new Date(value)) : "—";
}

export function date(value) {
  return value ? DATE.format(new Date(value)) : "—";
}

export function yuan(value) {
  return value === null || value === undefined ? "—" : YUAN.format(value);
}

export function number(value) {
  return value === null || value === undefined ? "—" : NUMBER.format(value);
}

export function kind(name) {
  return KINDS[name] || name;
}

export function relation(type) {
  return RELATIONS[type] || type;
}

export function source(name) {
  return SOURCES[name] || name;
}

// "2026-10-31" for a date input, of an instant in Beijing time.
export function dayInput(value) {
  const d = new Date(new Date(value).getTime() + 8 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}

// The instant a Beijing-time day starts, for the API.
export function dayStart(day) {
  return `${day}T00:00:00+08:00`;
}
