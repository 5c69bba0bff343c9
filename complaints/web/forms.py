"""The fields of each action's form on the item page, and turning a submitted form into a payload."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.lifecycle import Action
from workflows.vocab import N_, CloseReason, Outcome, Satisfaction, SendBackReason


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | textarea | select | outcome | handler | bool | hidden | date
    required: bool = False
    options: tuple = ()  # enum values for selects


NOTE = Field("note", N_("说明"), "textarea")
REASON = Field("note", N_("理由"), "textarea", required=True)

# the outcome first: it picks the standard reply's conclusion; 办理情况 and 处理结果 go into 附件2
REPLY_FIELDS = (
    Field("outcome", N_("处理意见"), "outcome", True, tuple(Outcome)),
    Field("text", N_("答复内容"), "reply", True),
    Field("handling_notes", N_("办理情况"), "textarea", True),
    Field("result_text", N_("处理结果"), "textarea", True),
    Field("template_id", "", "hidden"),
)

ACTION_FIELDS: dict[Action, tuple[Field, ...]] = {
    Action.DISPATCH: (Field("handler_id", N_("承办人"), "handler", True), NOTE),
    Action.REASSIGN: (Field("handler_id", N_("改派给"), "handler", True), NOTE),
    Action.ACCEPT: (Field("note", N_("联系诉求人情况"), "textarea"),),
    Action.REPLY: REPLY_FIELDS,
    Action.SUBMIT_REPLY: REPLY_FIELDS,
    Action.APPROVE_REPLY: (Field("note", N_("审签意见"), "textarea"),),
    Action.RETURN_REPLY: (Field("note", N_("退回意见（请写明需修改之处）"), "textarea", required=True),),
    Action.CALLBACK: (
        Field("resolved", N_("问题已解决"), "bool"),
        Field("satisfaction", N_("满意度"), "select", True, tuple(Satisfaction)),
        NOTE,
    ),
    Action.CLOSE: (Field("result_text", N_("处理结果"), "textarea"), Field("remarks", N_("备注"), "text")),
    Action.SEND_BACK: (Field("reason", N_("退单原因"), "select", True, tuple(SendBackReason)), REASON),
    Action.APPROVE_SEND_BACK: (NOTE,),
    Action.REFUSE_SEND_BACK: (REASON,),
    Action.REQUEST_EXTENSION: (Field("amount", N_("延期时长（如 3 workdays、30 days）"), "text", True), REASON),
    Action.APPROVE_EXTENSION: (Field("amount", N_("批准时长（不填则按申请）"), "text"), NOTE),
    Action.REFUSE_EXTENSION: (REASON,),
    Action.SUSPEND: (REASON,),
    Action.RESUME: (NOTE,),
    Action.SUPERVISE: (Field("due", N_("督办期限（如 2 workdays）"), "text"), REASON),
    Action.REOPEN: (REASON,),
    Action.REDO: (Field("note", N_("退回重办的理由及要求"), "textarea", required=True),),
    Action.CLOSE_WITH_REASON: (
        Field("reason", N_("办结理由"), "select", True, tuple(CloseReason)),
        Field("note", N_("向诉求人解释说明的情况"), "textarea", required=True),
        Field("result_text", N_("处理结果"), "textarea"),
    ),
    Action.ESCALATE: (Field("note", N_("提请州局决定的理由"), "textarea", required=True),),
    Action.MARK_DUPLICATE: (Field("of", N_("并入的诉求编号"), "text", True), NOTE),
    Action.NOT_ACCEPT: (REASON,),
    Action.REFER_DISCIPLINE: (
        Field("violator", N_("违规主体"), "text", True),
        Field("violation", N_("违规行为"), "textarea", True),
        Field("discipline_action", N_("查处和追责情况"), "textarea"),
        NOTE,
    ),
    Action.NOTE: (Field("note", N_("备注内容"), "textarea", True),),
    Action.ANSWER_NOW: (Field("text", N_("答复内容"), "reply", True),),
    Action.REQUEST_REVIEW: (
        Field("note", N_("复查请求及理由"), "textarea", required=True),
        Field("reply_received_on", N_("诉求人收到处理意见的日期（晚于答复登记日时填写）"), "date"),
    ),
}


def payload_from_form(action: Action, form) -> dict:
    """The action's payload from submitted form values; blanks are left out, types converted."""
    payload: dict = {}
    for field in ACTION_FIELDS.get(action, ()):
        raw = form.get(field.name)
        if field.kind == "bool":
            payload[field.name] = raw in ("on", "true", "1")
            continue
        value = str(raw or "").strip()
        if not value:
            continue
        if field.kind == "handler" or field.name == "template_id":
            payload[field.name] = int(value) if value.isdigit() else value
        else:
            payload[field.name] = value
    return payload
