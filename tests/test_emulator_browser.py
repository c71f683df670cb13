"""The local emulator in a real browser (Debian's chromium via Playwright): a request from a card
form as 市场部, the evaluation answered by clicking as 研发部, approval by the PMO, and the charter
card arriving in both department groups; the PMO's export downloaded from its link, and its report
with the progress curve drawn; the same at phone width; and the living demo's welcome card and
what its buttons show, at both widths. Set XIEZUO_SCREENSHOT=docs/emulator.png,
XIEZUO_REPORT_SCREENSHOT=docs/report.png, XIEZUO_DEMO_SCREENSHOT=docs/demo.png and
XIEZUO_DEMO_PHONE_SCREENSHOT=docs/demo-phone.png to refresh the README's screenshots."""
from __future__ import annotations

import io
import os
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from playwright.async_api import Locator, Page, ViewportSize, async_playwright, expect

from bot.cli import start_server
from bot.clock import FixedClock
from bot.config import Config
from tests.conftest import MONDAY

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[str]:
    config = Config()
    config.database.url = f"sqlite:///{tmp_path / 'emulator.db'}"
    config.http.port = 0
    bot, runner, url = await start_server(config, FixedClock(MONDAY))
    try:
        yield url
    finally:
        await runner.cleanup()
        await bot.stop()


@pytest.fixture
async def page(emulator: str) -> AsyncIterator[Page]:
    assert os.path.exists(CHROMIUM), "chromium missing: `make test` installs it with apt-get"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 860}, locale="zh-CN",
                                          timezone_id="Asia/Shanghai")
            await page.goto(emulator)
            yield page
        finally:
            await browser.close()


async def act_as(page: Page, user: str, chat: str) -> None:
    await page.select_option("#user-select", user)
    await page.click(f'.chat-item[data-chat="{chat}"]')
    await expect(page.locator("#chat-title")).to_have_text(chat)


def card(page: Page, title: str) -> Locator:
    return page.locator(".msg", has=page.locator(".card-header", has_text=title)).last


async def test_request_evaluate_approve_from_cards(page: Page) -> None:
    # 市场部 opens the request form and fills it in.
    await act_as(page, "张伟", "市场部")
    await page.click('#shortcuts button[data-say="/request"]')
    form = card(page, "发起跨部门协作需求")
    await form.locator('input[name="name"]').fill("Q4新品推广")
    await form.locator('textarea[name="goal"]').fill("10-12月销量10万台")
    await form.locator('textarea[name="background"]').fill('双十二 "大促" </script><b>备货</b>')
    await form.locator('.chips[data-name="depts"] label', has_text="研发部").click()
    await form.locator('input[name="due"]').fill("2026-12-31")
    await form.locator('select[name="priority"]').select_option("high")
    await form.locator('button[type="submit"]').click()
    request = card(page, "需求已提交：XZ-2026-0001")
    await expect(request).to_be_visible()
    await expect(request.locator(".card-fields")).to_contain_text('双十二 "大促" </script><b>备货</b>')
    assert await request.locator(".card-fields b").count() == 0, "user text stays text"
    assert await page.locator(".card[data-kind=form]").count() == 0, "the form card is replaced by the request"

    # 研发部's head answers by clicking; a missing contact is refused with a toast and the card stays usable.
    await act_as(page, "李强", "研发部")
    invite = card(page, "协作评估邀请：XZ-2026-0001")
    await invite.get_by_role("button", name="接受").click()
    await expect(page.locator("#toast")).to_contain_text("对接人")
    await invite.locator('select[name="contact"]').select_option("赵磊")
    await invite.locator('textarea[name="resources"]').fill("2名开发")
    await invite.locator('input[name="date"]').fill("2026-12-05")
    await invite.get_by_role("button", name="接受").click()
    answered = card(page, "XZ-2026-0001 评估已答复：接受")
    await expect(answered.locator(".card-note")).to_have_text("研发部 李强 答复：接受")
    assert await page.locator(".card[data-kind=evaluation_request]").count() == 0

    # The PMO approves from the summary card.
    await act_as(page, "周敏", "协作管理办公室")
    await card(page, "XZ-2026-0001 评估已全部答复").get_by_role("button", name="批准立项").click()
    await expect(card(page, "协作立项确认函：XZ-2026-0001")).to_be_visible()

    # The charter reaches both department groups, with its next-step buttons.
    for user, chat in (("李强", "研发部"), ("张伟", "市场部")):
        await act_as(page, user, chat)
        charter = card(page, "协作立项确认函：XZ-2026-0001")
        await expect(charter).to_be_visible()
        await expect(charter.get_by_role("button", name="新增任务")).to_be_visible()

    # The PMO exports the record and downloads the workbook from the link under the export card.
    await act_as(page, "周敏", "协作管理办公室")
    await page.fill("#input", "/export XZ-2026-0001")
    await page.click("#send")
    link = card(page, "导出：XZ-2026-0001.xlsx").locator("a.file")
    await expect(link).to_contain_text("XZ-2026-0001.xlsx")
    async with page.expect_download() as waiting:
        await link.click()
    download = await waiting.value
    assert download.suggested_filename == "XZ-2026-0001.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(await download.path()).read_bytes()))  # saved without a suffix
    assert book["需求申请表"]["B2"].value == "Q4新品推广" and "审计记录" in book.sheetnames

    # With a plan, the PMO's report shows its progress curve, drawn and loaded in the page.
    await act_as(page, "张伟", "市场部")
    await page.fill("#input", "/task add XZ-2026-0001 用户调研 dept=市场部 owner=@王芳 deliverable=调研报告 "
                              "standard=样本≥500 start=11-24 due=11-27")
    await page.click("#send")
    await expect(card(page, "T1")).to_be_visible()
    await act_as(page, "周敏", "协作管理办公室")
    await page.fill("#input", "/report XZ-2026-0001")
    await page.click("#send")
    chart = card(page, "XZ-2026-0001 进度报表").locator("img.chart")
    await expect(chart).to_be_visible()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 600", arg=await chart.element_handle())
    if shot := os.environ.get("XIEZUO_REPORT_SCREENSHOT"):
        await card(page, "XZ-2026-0001 进度报表").screenshot(path=shot)
    if shot := os.environ.get("XIEZUO_SCREENSHOT"):
        await page.locator("#messages").evaluate("box => box.scrollTop = box.scrollHeight")
        await expect(page.locator("#toast.show")).to_have_count(0)
        await page.screenshot(path=shot)


@pytest.fixture
async def phone(emulator: str) -> AsyncIterator[Page]:
    """The emulator in a phone-sized window (390 × 844, touch)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                          device_scale_factor=2, locale="zh-CN", timezone_id="Asia/Shanghai")
            await page.goto(emulator)
            yield page
        finally:
            await browser.close()


async def right_edge(locator: Locator) -> float:
    box = await locator.bounding_box()
    assert box is not None
    return float(box["x"] + box["width"])


async def test_on_a_phone_the_chat_list_is_a_drawer_and_cards_fit(phone: Page) -> None:
    page = phone
    icon = await page.request.get(page.url + "favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
    sidebar = page.locator("#sidebar")
    await expect(page.locator("#chat-title")).not_to_be_empty()
    assert await right_edge(sidebar) <= 0, "the chat list is out of the way"
    await page.tap("#drawer-toggle")
    await expect(page.locator("#drawer-toggle")).to_have_attribute("aria-expanded", "true")
    await page.wait_for_function("() => document.querySelector('#sidebar').getBoundingClientRect().left >= 0")
    await page.select_option("#user-select", "张伟")
    await page.tap('.chat-item[data-chat="市场部"]')
    await expect(page.locator("#chat-title")).to_have_text("市场部")
    await page.wait_for_function("() => document.querySelector('#sidebar').getBoundingClientRect().right <= 0")

    await page.tap('#shortcuts button[data-say="/request"]')
    form = card(page, "发起跨部门协作需求")
    await expect(form).to_be_visible()
    assert 340 <= await right_edge(form.locator(".card")) <= 390, "the card takes the width, no more"
    for field in ("input[name=name]", "textarea[name=goal]", "input[name=due]", "button[type=submit]"):
        await form.locator(field).scroll_into_view_if_needed()
        assert await right_edge(form.locator(field)) <= 390, f"{field} is reachable"
    await form.locator('input[name="name"]').fill("移动端体验优化")
    await form.locator('textarea[name="goal"]').fill("首页加载时间缩短到2秒")
    await form.locator('.chips[data-name="depts"] label', has_text="研发部").tap()
    await form.locator('input[name="due"]').fill("2027-01-29")
    await form.locator('button[type="submit"]').tap()
    await expect(card(page, "需求已提交：XZ-2026-0001")).to_be_visible()
    if shot := os.environ.get("XIEZUO_PHONE_SCREENSHOT"):
        await page.screenshot(path=shot)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[str]:
    """`make serve` on a fresh machine: nothing configured, the demo's own database."""
    config = Config()
    config.database.url = f"sqlite:///{tmp_path / 'xiezuo-demo.db'}"
    config.http.port = 0
    bot, runner, url = await start_server(config, FixedClock(datetime(2026, 12, 7, 10, 0, tzinfo=MONDAY.tzinfo)))
    try:
        yield url
    finally:
        await runner.cleanup()
        await bot.stop()


@pytest.mark.parametrize("size", [ViewportSize(width=1280, height=860), ViewportSize(width=390, height=844)],
                         ids=["desktop", "phone"])
async def test_the_demo_opens_on_the_welcome_card_and_its_buttons_show_the_product(demo: str, size: ViewportSize) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = await browser.new_page(viewport=size, locale="zh-CN", timezone_id="Asia/Shanghai",
                                          has_touch=size["width"] < 600, is_mobile=size["width"] < 600)
            await page.goto(demo)
            await expect(page.locator("#chat-title")).to_have_text("协作管理办公室")
            welcome = card(page, "欢迎使用协作机器人")
            await expect(welcome).to_be_visible()
            await expect(welcome).to_contain_text("你现在是 周敏")
            code = (await welcome.get_by_role("button", name=re.compile("进度报表")).inner_text()).split()[-1]
            if shot := os.environ.get("XIEZUO_DEMO_SCREENSHOT" if size["width"] > 600 else "XIEZUO_DEMO_PHONE_SCREENSHOT"):
                await page.screenshot(path=shot)  # the README's: what a visitor sees first

            assert await right_edge(page.locator("#upcoming-toggle")) <= size["width"], "the header keeps its button"
            await page.click("#upcoming-toggle")  # what the scheduler will send next, with when and to whom
            await expect(page.locator("#upcoming-list li").first).to_be_visible()
            assert await page.locator("#upcoming-list li", has_text=code).count() >= 2
            await page.click("#upcoming-close")

            await welcome.get_by_role("button", name="项目组合看板").click()
            portfolio = card(page, "协作项目组合（2）")
            await expect(portfolio).to_contain_text(code)
            await welcome.get_by_role("button", name=re.compile("进度报表")).click()
            chart = card(page, f"{code} 进度报表").locator("img.chart")
            await expect(chart).to_be_visible()
            await page.wait_for_function("img => img.complete && img.naturalWidth > 600", arg=await chart.element_handle())
            await welcome.get_by_role("button", name=re.compile("知识库")).click()
            if size["width"] < 600:
                await page.tap("#drawer-toggle")
            await page.click('.chat-item[data-chat="p2p:周敏"]')  # a search answers its asker alone
            hits = card(page, "知识库：签名校验")
            await expect(hits.locator("strong", has_text=re.compile("^签名校验")).first).to_be_visible()  # the match, bold
            await expect(hits.get_by_role("button", name=re.compile(r"打开 XZ-\d{4}-\d{4}.P1"))).to_have_count(2)
        finally:
            await browser.close()
