"""Every page renders for the roles that use it, refuses the others, and keeps CSRF and scope."""

import re

import pytest

from complaints import auth
from complaints.services.transitions import act

PAGES = {
    "operator": ["/intake", "/items", "/notifications", "/status"],
    "handler": ["/inbox", "/items", "/notifications"],
    "supervisor": [
        "/intake",
        "/items",
        "/board",
        "/approvals",
        "/dashboard",
        "/ledgers",
        "/replies",
        "/notifications",
        "/dashboard?unit_code=ATS&start=2026-01-01&end=2026-12-31",
        "/ranking",
        "/ranking?by=handler&month=2026-06",
        "/ledgers/checklist",
        "/dashboard/items?measure=satisfaction&part=denominator&start=2026-06-01&end=2026-06-30",
    ],
    "admin": ["/admin", "/items"],
}


@pytest.fixture
def browser_as(client, session):
    def sign_in(user):
        _, token = auth.create_session(session=session, user=user, kind="browser")
        client.cookies.set(auth.SESSION_COOKIE, token)
        return client

    return sign_in


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def composed(html: str) -> str:
    """The text the reply composer starts from."""
    return re.search(r'<textarea id="reply-text" name="text"[^>]*>([^<]*)</textarea>', html).group(1)


@pytest.mark.parametrize("role", sorted(PAGES))
def test_pages_render_for_their_roles(role, browser_as, make_user, make_item):
    make_item()
    web = browser_as(make_user(role))
    for path in PAGES[role]:
        response = web.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "<html" in response.text


def test_pages_need_login_and_role(client, browser_as, make_user):
    response = client.get("/board", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    web = browser_as(make_user("operator"))
    refused = web.get("/board")
    assert refused.status_code == 403 and "只有督办人" in refused.text


def test_item_page_shows_only_allowed_actions_and_masks_for_others(browser_as, make_user, make_item, session, runtime):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    item = make_item()
    act(
        session=session,
        runtime=runtime,
        actor=supervisor,
        item=item,
        action="dispatch",
        payload={"handler_id": handler.id},
    )
    session.flush()
    other_handler_page = browser_as(make_user("handler")).get(f"/items/{item.tracking_no}").text
    assert "138****5678" in other_handler_page and "13812345678" not in other_handler_page
    assert "确认签收" not in other_handler_page
    mine = browser_as(handler).get(f"/items/{item.tracking_no}").text
    assert "13812345678" in mine and "确认签收" in mine and "确认答复" not in mine


def test_other_units_item_is_not_found(browser_as, make_user, make_item):
    item = make_item(unit_code="WQ")
    response = browser_as(make_user("handler", unit="ATS")).get(f"/items/{item.tracking_no}")
    assert response.status_code == 404


def test_form_post_without_csrf_token_is_refused(browser_as, make_user):
    web = browser_as(make_user("operator"))
    response = web.post("/intake", data={"summary": "测试", "unit_code": "ATS", "channel": "call", "kind": "complaint"})
    assert response.status_code == 403


def test_intake_keeps_values_after_an_error_and_registers_when_fixed(browser_as, make_user):
    web = browser_as(make_user("operator"))
    token = csrf_of(web.get("/intake").text)
    form = {
        "csrf_token": token,
        "channel": "call",
        "kind": "complaint",
        "unit_code": "ATS",
        "summary": "反映学校收取共建费",
        "complainant_phone": "12345",
        "complainant_name": "王丽",
    }
    failed = web.post("/intake", data=form)
    assert failed.status_code == 422 and "电话号码格式不正确" in failed.text
    assert "反映学校收取共建费" in failed.text and "王丽" in failed.text
    form["complainant_phone"] = "13812345678"
    saved = web.post("/intake", data=form, follow_redirects=False)
    assert saved.status_code == 303 and "registered=1" in saved.headers["location"]
    page = web.get(saved.headers["location"]).text
    assert re.search(r'data-testid="tracking-no">ATS-\d{4}-\d{6}<', page)


def test_english_interface_is_switchable(browser_as, make_user):
    web = browser_as(make_user("operator"))
    page = web.get("/intake?lang=en").text
    assert 'lang="en"' in page
    assert web.cookies.get("lang") == "en"


def test_uyghur_interface_is_right_to_left(browser_as, make_user):
    assert 'dir="rtl"' in browser_as(make_user("operator")).get("/intake?lang=ug").text


def test_handler_replies_from_the_composer(browser_as, make_user, make_item, session, runtime):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    item = make_item()
    for actor, action, payload in [(supervisor, "dispatch", {"handler_id": handler.id}), (handler, "accept", {})]:
        act(session=session, runtime=runtime, actor=actor, item=item, action=action, payload=payload)
    session.flush()
    web = browser_as(handler)
    page = web.get(f"/items/{item.tracking_no}?reply_outcome=support").text
    assert "已载入“违规收费”统一答复口径" in page
    text = (
        composed(page)
        .replace("【请填写调查核实情况】", "经核实，学校已全额退费。")
        .replace("【请填写电话沟通情况】", "您表示满意")
    )
    response = web.post(
        f"/items/{item.tracking_no}/act/reply",
        follow_redirects=False,
        data={
            "csrf_token": csrf_of(page),
            "version": str(item.version),
            "text": text,
            "outcome": "support",
            "handling_notes": "到校核查",
            "result_text": "已退费",
            "template_id": "",
        },
    )
    assert response.status_code == 303, response.text[-3000:]


def test_admin_edits_a_categorys_keywords_and_suggestions_follow(browser_as, make_user, runtime):
    from complaints.services.categories import suggest_category

    web = browser_as(make_user("admin"))
    token = csrf_of(web.get("/admin").text)
    original = runtime.settings.category_map["dropout"].model_copy()
    try:
        bad = web.post(
            "/admin/categories/dropout",
            data={"csrf_token": token, "name": "控辍保学", "keywords": "辍学", "annex1_rows": "27"},
        )
        assert bad.status_code == 422 and "1–26" in bad.text
        saved = web.post(
            "/admin/categories/dropout",
            follow_redirects=False,
            data={
                "csrf_token": token,
                "name": "控辍保学（劝返）",
                "keywords": "辍学、劝返、打工不上学",
                "annex1_rows": "20、21",
            },
        )
        assert saved.status_code == 303
        assert runtime.settings.category_map["dropout"].name == "控辍保学（劝返）"
        assert suggest_category(runtime.settings, "孩子初中没读完就出去打工不上学") == "dropout"
    finally:
        category = runtime.settings.category_map["dropout"]
        category.name, category.keywords, category.annex1_rows = (
            original.name,
            original.keywords,
            original.annex1_rows,
        )  # the edit itself is rolled back with the test's transaction


def test_reply_composer_in_uyghur(browser_as, make_user, make_item, session, runtime):
    supervisor, handler = make_user("supervisor"), make_user("handler")
    item = make_item(category="zone", summary="新建小区对口学校未公布")
    for actor, action, payload in [(supervisor, "dispatch", {"handler_id": handler.id}), (handler, "accept", {})]:
        act(session=session, runtime=runtime, actor=actor, item=item, action=action, payload=payload)
    session.flush()
    page = browser_as(handler).get(f"/items/{item.tracking_no}?reply_locale=ug&reply_outcome=explain").text
    text = composed(page)
    assert any("\u0600" <= ch <= "\u06ff" for ch in text)


def test_supervisor_decides_requests_on_the_approvals_page(browser_as, make_user, make_item, session, runtime):
    supervisor, handler = make_user("supervisor"), make_user("handler", name="李承办")
    extend, send_back = make_item(summary="反映学校收取资料费"), make_item(summary="反映外县学校招生问题")
    for item in (extend, send_back):
        for actor, action, payload in [(supervisor, "dispatch", {"handler_id": handler.id}), (handler, "accept", {})]:
            act(session=session, runtime=runtime, actor=actor, item=item, action=action, payload=payload)
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=extend,
        action="request_extension",
        payload={"amount": "3 workdays", "note": "需要调取学校账目"},
    )
    act(
        session=session,
        runtime=runtime,
        actor=handler,
        item=send_back,
        action="send_back",
        payload={"reason": "wrong_unit", "note": "该校属于阿克陶县"},
    )
    session.flush()
    due_before = extend.reply_due_at
    web = browser_as(supervisor)
    page = web.get("/approvals").text
    for shown in (
        "申请延期 3 workdays",
        "需要调取学校账目",
        "李承办",
        "派错单位",
        "该校属于阿克陶县",
        f"/items/{extend.tracking_no}/act/approve_extension",
        f"/items/{send_back.tracking_no}/act/refuse_send_back",
    ):
        assert shown in page, shown

    refused = web.post(
        f"/items/{send_back.tracking_no}/act/refuse_send_back",
        follow_redirects=False,
        data={
            "csrf_token": csrf_of(page),
            "version": str(send_back.version),
            "next": "/approvals",
            "note": "已核实属本单位",
        },
    )
    assert refused.status_code == 303 and refused.headers["location"].startswith("/approvals?done=refuse_send_back")
    approved = web.post(
        f"/items/{extend.tracking_no}/act/approve_extension",
        follow_redirects=False,
        data={
            "csrf_token": csrf_of(page),
            "version": str(extend.version),
            "next": "/approvals",
            "amount": "2 workdays",
            "note": "",
        },
    )
    assert approved.status_code == 303
    session.refresh(extend), session.refresh(send_back)
    assert extend.status == "accepted" and extend.extension_count == 1 and extend.reply_due_at > due_before
    assert send_back.status == "accepted" and send_back.handler_id == handler.id
    after = web.get(approved.headers["location"]).text
    assert "已完成：批准延期" in after and "没有待审批的申请" in after

    # a stale form (someone decided first) is refused, and only a listed page is returned to
    stale = web.post(
        f"/items/{extend.tracking_no}/act/refuse_extension",
        follow_redirects=False,
        data={"csrf_token": csrf_of(page), "version": "1", "next": "https://evil.example/", "note": "不同意"},
    )
    assert stale.status_code in (409, 422) and "evil.example" not in stale.headers.get("location", "")


def test_supervisor_writes_the_checklist_on_its_page_with_history(browser_as, make_user):
    web = browser_as(make_user("supervisor"))
    page = web.get("/ledgers/checklist?start=2026-05-01&end=2026-07-25")
    assert page.status_code == 200 and "学校划片招生范围是否科学合理" in page.text and "本报送期尚未填写" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "unit_code": "ATS",
        "start": "2026-05-01",
        "end": "2026-07-25",
        "measures1": "印发《划片招生方案》并在网站公布",
        "conclusion1": "已落实",
    }
    saved = web.post("/ledgers/checklist", data=form)
    assert saved.status_code == 200 and "已保存 1 行" in saved.text
    form["conclusion1"] = "已落实，无问题"
    again = web.post("/ledgers/checklist", data=form)
    assert again.text.count("印发《划片招生方案》并在网站公布") >= 3  # the field and both versions
    assert "已落实，无问题" in again.text and "检查结论：已落实<" in again.text.replace("\n", "")
    other = web.get("/ledgers/checklist?start=2026-01-01&end=2026-03-31")
    assert "印发《划片招生方案》" not in other.text  # another reporting period


def test_supervisor_signs_off_a_formal_reply_on_the_approvals_page(browser_as, make_user, make_item, session, runtime):
    supervisor, handler = make_user("supervisor"), make_user("handler", name="李承办")
    item = make_item(channel="letter", summary="来信反映学校收取资料费")
    for actor, action, payload in [
        (supervisor, "dispatch", {"handler_id": handler.id}),
        (handler, "accept", {}),
        (
            handler,
            "submit_reply",
            {
                "text": "经核实，学校未收取资料费，请知悉。",
                "outcome": "reject",
                "handling_notes": "到校核查",
                "result_text": "未发现收费",
            },
        ),
    ]:
        act(session=session, runtime=runtime, actor=actor, item=item, action=action, payload=payload)
    session.flush()
    web = browser_as(supervisor)
    page = web.get("/approvals").text
    assert "答复待审签" in page and item.tracking_no in page and "经核实，学校未收取资料费，请知悉。" in page
    response = web.post(
        f"/items/{item.tracking_no}/act/approve_reply",
        follow_redirects=False,
        data={"csrf_token": csrf_of(page), "version": str(item.version), "next": "/approvals"},
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/approvals?done=approve_reply")
    session.refresh(item)
    assert (item.status, item.reply_text, item.reply_approved_by_id) == (
        "replied",
        "经核实，学校未收取资料费，请知悉。",
        supervisor.id,
    )
    shown = web.get(f"/items/{item.tracking_no}").text
    assert 'data-testid="approved-by"' in shown and supervisor.name in shown
