"""Strings that other modules translate through a variable but do not mark with N_() where they are defined.

Never imported: it exists only so that `scripts/messages.sh` (babel.cfg maps complaints/**.py) extracts these
strings into the catalogs. Each one is copied verbatim from the module named beside it, and
tests/test_i18n.py checks that it still occurs there. Once that module wraps the string in N_(), delete the
line here (and this file once it is empty).
"""


def N_(text: str) -> str:
    return text


# complaints/presenters.py: DUE_STATE_LABELS, shown through _() in templates/_macros.html
N_("正常")

# complaints/web/pages/admin.py: ENTRY_KINDS, shown through _() in templates/admin.html
N_("法定节假日")
N_("调休上班")
N_("自治区节日")
N_("人工设为工作日")
N_("人工设为休息日")

# complaints/services/repeats.py: event notes, formatted with gettext(text, other=…, reason=…)
N_("疑似重复诉求：与 {other} 相关（{reason}）")
N_("收到疑似重复诉求 {other}（{reason}）")

# complaints/api/errors.py: _REASONS (validation messages) and the HTTP error messages
N_("必填")
N_("过长（最多 {max_length} 个字符）")
N_("过短（至少 {min_length} 个字符）")
N_("过长（最多 {max_length} 项）")
N_("过短（至少 {min_length} 项）")
N_("应为整数")
N_("应为 true 或 false")
N_("应为以下之一：{expected}")
N_("应大于 {gt}")
N_("应不小于 {ge}")
N_("应小于 {lt}")
N_("应不大于 {le}")
N_("应为文本")
N_("日期时间格式不正确")
N_("不允许的字段")
N_("不是合法的 JSON")
N_("应为 JSON 对象")
N_("应为列表")
N_("格式不正确")
N_("应为数字")
N_("取值不正确")
N_("找不到该地址")
N_("不支持该请求方法")
N_("请求内容过大")
