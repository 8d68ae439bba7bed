// What the workbench asks about an entity: its properties by kind, its links by
// relationship, each link's properties; shared by the entity card and the timeline.
export const LINK_FIELDS = `type sources firstSeen lastSeen
  ... on Transfer { txnId amount paidAt: at }
  ... on Calls { count seconds firstAt lastAt }
  ... on Stay { checkin checkout room }
  ... on Journey { at trainNo toStation seat }
  ... on Pass { at direction }
  ... on Suspect { role }
  ... on Victim { loss }`;

// kind -> [[field, label], ...] of its own properties
export const PROPERTIES = {
  Person: [
    ["name", "姓名"],
    ["namePinyin", "拼音"],
    ["idNumber", "身份证号"],
    ["birthDate", "出生日期"],
    ["sex", "性别"],
    ["address", "住址"],
  ],
  Phone: [
    ["number", "号码"],
    ["category", "类型"],
  ],
  BankAccount: [
    ["number", "卡号/账号"],
    ["bank", "开户行"],
    ["status", "状态"],
  ],
  Vehicle: [
    ["plate", "车牌"],
    ["model", "车型"],
    ["colour", "颜色"],
  ],
  Case: [
    ["caseNo", "案件编号"],
    ["title", "案件名称"],
    ["category", "案件类别"],
    ["status", "状态"],
    ["acceptedAt", "受理时间"],
    ["filedAt", "立案时间"],
    ["solvedAt", "破案时间"],
    ["loss", "损失金额"],
  ],
  Warrant: [
    ["warrantNo", "通缉令编号"],
    ["offence", "涉嫌罪名"],
    ["issuedAt", "发布时间"],
    ["issuingUnit", "发布单位"],
    ["status", "状态"],
  ],
  Place: [
    ["placeId", "场所编号"],
    ["name", "名称"],
    ["category", "类别"],
    ["address", "地址"],
  ],
  Unit: [
    ["code", "单位代码"],
    ["name", "单位名称"],
  ],
  Alert: [
    ["alertId", "预警编号"],
    ["rule", "规则"],
    ["status", "状态"],
    ["raisedAt", "产生时间"],
    ["summary", "内容"],
  ],
  StopPayment: [
    ["requestId", "申请编号"],
    ["amount", "金额"],
    ["reason", "事由"],
    ["status", "状态"],
    ["requestedAt", "申请时间"],
    ["requestedBy", "申请人"],
    ["unit", "申请单位"],
  ],
  Record: [
    ["recordId", "记录编号"],
    ["source", "来源系统"],
    ["stream", "数据类别"],
    ["fetchedAt", "获取时间"],
  ],
};

// kind -> [[connection field, label], ...]
export const LINKS = {
  Person: [
    ["phones", "使用号码"],
    ["accounts", "持有账户"],
    ["vehicles", "登记车辆"],
    ["cases", "涉及案件"],
    ["warrants", "通缉令"],
    ["stays", "住宿/上网"],
    ["journeys", "出行"],
  ],
  Phone: [
    ["users", "使用人"],
    ["called", "呼出"],
    ["calledBy", "呼入"],
  ],
  BankAccount: [
    ["holders", "持有人"],
    ["transfersOut", "转出"],
    ["transfersIn", "转入"],
  ],
  Vehicle: [
    ["owners", "登记人"],
    ["passes", "卡口通行"],
  ],
  Case: [
    ["people", "涉案人员"],
    ["units", "承办单位"],
    ["operations", "合成作战"],
  ],
  Warrant: [["wanted", "被通缉人"]],
  Place: [
    ["stays", "住宿/上网人员"],
    ["journeys", "出发旅客"],
    ["passes", "通行车辆"],
  ],
  Unit: [["cases", "承办案件"]],
  Alert: [["about", "涉及"]],
  StopPayment: [["accounts", "止付账户"]],
  Record: [["describes", "描述对象"]],
};

const TIMES = new Set(["acceptedAt", "filedAt", "solvedAt", "issuedAt", "raisedAt", "requestedAt", "fetchedAt"]);
export const isTime = (field) => TIMES.has(field);

// Every role reads a record's raw text; a role without personal data reads it with the
// numbers masked, as every text of an answer (hub/permissions.yaml).
export function entityQuery(kind, { page = 20 } = {}) {
  const props = (PROPERTIES[kind] || []).map(([f]) => f).join(" ");
  const links = (LINKS[kind] || [])
    .map(
      ([f]) => `${f}(first: ${page}) { totalCount edges { node { id kind label } link { ${LINK_FIELDS} } } }`,
    )
    .join("\n");
  return `query($id: ID!) { node(id: $id) { id ... on Entity { kind label sources firstSeen lastSeen
    records(first: 20) { totalCount edges { node { id source stream sourceId fetchedAt raw } } }
  }
  ... on ${kind} { ${props} ${links} } } }`;
}

export const KIND_OF = `query($id: ID!) { node(id: $id) { id ... on Entity { kind } } }`;
