"""The log pane with Pilot: filter, presets, level, highlight, context, pause, search,
save, copy, attach, and hostile lines rendered literally.

Engines are off: the pane is fed a real LogBuffer of parsed lines, published the way the
hub publishes it, so these tests are about what the user sees and does.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from textual.message import Message
from textual.widgets import Input, Static

from tests.support.log_ui import FakeTail, make_log_app, screen_text, wait_for
from tui.logs.parse import LineKind
from widgets.log_pane import LogPane
from widgets.log_view import LogView

LINES = [
    "INFO GET /api/users 200 12ms",
    "DEBUG cache warm",
    "ERROR database connection refused",
    "INFO GET /api/orders 200 1500ms",
    "WARN auth token expired for user 42",
    "INFO GET /health 200 2ms",
    "ERROR payment failed: card declined",
    "INFO done",
]


def pane(app) -> LogPane:  # type: ignore[no-untyped-def]
    return app.screen.query_one(LogPane)


def shown(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.text for line in app.screen.query_one(LogView).rows.lines]


async def started(tmp_path: Path, pilot, lines=LINES) -> FakeTail:  # type: ignore[no-untyped-def]
    tail = FakeTail(pilot.app)
    tail.add(lines)
    tail.publish()
    await wait_for(lambda: len(shown(pilot.app)) == len(lines), message="lines shown")
    await pilot.pause()  # the batch is applied at once; let the screen lay it out
    return tail


def count_applies(view: LogView) -> list[int]:
    """Wrap ``view.show`` so that each batch the pane applies adds an entry."""
    calls: list[int] = []
    original = view.show

    def counting(buffer):  # type: ignore[no-untyped-def]
        calls.append(1)
        original(buffer)

    view.show = counting  # type: ignore[method-assign]
    return calls


async def test_hostile_lines_render_literally_and_never_act(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    hostile = ["[/] closing tag", "[@click=app.quit]click me[/]", "[bold]not bold",
               "osc52 \x1b]52;c;aGVsbG8=\x07 after", "title \x1b]0;owned\x1b\\ x",
               "csi \x1b[2J\x1b[H cleared?", "c1 \x9b31m x", "rtl \u202e evil"]
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot, hostile)
        await pilot.pause()
        text = screen_text(app)
        assert "[/] closing tag" in text
        assert "[@click=app.quit]click me[/]" in text
        assert "[bold]not bold" in text
        assert "␛]52;c;aGVsbG8=␇ after" in text
        assert "␛[2J␛[H cleared?" in text
        assert "⟨U+009B⟩" in text and "⟨U+202E⟩" in text
        await pilot.click(LogView, offset=(30, 3))
        assert app.is_running
        rendered = "".join(seg.text for strip in app.screen._compositor.render_strips()
                           for seg in strip)
        assert "\x1b" not in rendered and "\x07" not in rendered and "\x9b" not in rendered


async def test_filter_is_live_always_in_the_title_and_escape_clears(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot)
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#log-filter", Input)
        await pilot.press("f", "a", "i", "l")
        assert shown(app) == ["ERROR payment failed: card declined"]
        assert "filter: /fail/" in pane(app).title
        await pilot.press("enter")
        assert isinstance(app.focused, LogView)
        assert "filter: /fail/" in pane(app).title
        await pilot.press("escape")
        assert len(shown(app)) == len(LINES)
        assert "filter:" not in pane(app).title  # nothing active, nothing said


async def test_invalid_regex_is_said_plainly_and_matched_as_text(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot, [*LINES, "weird (unclosed paren"])
        await pilot.press("slash", "left_parenthesis", "u", "n")
        assert shown(app) == ["weird (unclosed paren"]
        assert "invalid regex, as text" in pane(app).title
        error = app.screen.query_one("#log-filter-error", Static)
        assert error.display and "missing )" in str(error.render())


async def test_presets_by_key_and_by_palette(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot)
        await pilot.press("f")
        assert shown(app) == ["ERROR database connection refused",
                              "ERROR payment failed: card declined"]
        assert "filter: errors · /error|exception|failed/" in pane(app).title
        await pilot.press("f")
        assert shown(app) == ["WARN auth token expired for user 42"]
        assert "auth failures" in pane(app).title
        from screens.logs import LogCommands

        provider = LogCommands(app.screen)
        hits = [hit async for hit in provider.search("logs: filter slow")]
        assert hits, "the palette offers the slow requests preset"
        hits[0].command()
        assert shown(app) == ["INFO GET /api/orders 200 1500ms"]
        assert "slower than 1000 ms" in pane(app).title
        titles = [hit.text async for hit in provider.discover()]
        for wanted in ("logs: filter errors", "logs: filter auth failures",
                       "logs: filter database", "logs: pause", "logs: errors by type"):
            assert wanted in titles


async def test_slow_threshold_typed_in_the_filter_box(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot)
        await pilot.press("slash", *">100ms")
        assert shown(app) == ["INFO GET /api/orders 200 1500ms"]
        assert "slower than 100 ms" in pane(app).title


async def test_level_filter_cycles_the_minimum_level(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot)
        await pilot.press("l")
        assert "level ≥ DEBUG" in pane(app).title
        await pilot.press("l", "l")
        assert "level ≥ WARN" in pane(app).title
        assert shown(app) == ["ERROR database connection refused",
                              "WARN auth token expired for user 42",
                              "ERROR payment failed: card declined"]
        await pilot.press("l", "l")
        assert "filter:" not in pane(app).title  # nothing active, nothing said
        assert len(shown(app)) == len(LINES)


async def test_highlight_only_keeps_every_line_and_n_N_walk_the_matches(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot)
        await pilot.press("slash", *"GET", "enter", "h")
        view = app.screen.query_one(LogView)
        assert len(shown(app)) == len(LINES)
        assert "highlight only" in pane(app).title
        assert view.rows.matches == [True, False, False, True, False, True, False, False]
        await pilot.press("n")
        assert view.cursor == 0
        await pilot.press("n")
        assert view.cursor == 3
        await pilot.press("n")
        assert view.cursor == 5
        await pilot.press("N")
        assert view.cursor == 3
        await pilot.press("n", "n")
        assert view.cursor == 5  # no match after the last one: the cursor stays


async def test_context_lines_like_grep_C(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot)
        await pilot.press("slash", *"refused", "enter", "plus")
        assert shown(app) == ["DEBUG cache warm", "ERROR database connection refused",
                              "INFO GET /api/orders 200 1500ms"]
        assert "±1 lines" in pane(app).title
        await pilot.press("minus")
        assert shown(app) == ["ERROR database connection refused"]


async def test_pause_buffers_and_says_how_many_lines_wait(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        tail = await started(tmp_path, pilot)
        await pilot.press("space")
        tail.add([f"INFO later {i}" for i in range(5)])
        tail.publish()
        await wait_for(lambda: "5 new lines waiting" in pane(app).title, message="waiting")
        assert "PAUSED" in pane(app).title
        assert len(shown(app)) == len(LINES)
        assert "later" not in screen_text(app)
        await pilot.press("space")
        assert shown(app)[-1] == "INFO later 4"
        assert "following" in pane(app).title
        await wait_for(lambda: "INFO later 4" in screen_text(app), message="later shown")


async def test_follow_start_and_scroll_keep_their_place(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(100, 20)) as pilot:
        tail = await started(tmp_path, pilot, [f"INFO line {i}" for i in range(200)])
        view = app.screen.query_one(LogView)
        await wait_for(lambda: "INFO line 199" in screen_text(app), message="end shown")
        await pilot.press("g")
        assert view.scroll_y == 0 and not view.follow
        assert "scrolled (G follows)" in pane(app).title
        tail.add(["INFO newest"])
        tail.publish()
        await wait_for(lambda: shown(app)[-1] == "INFO newest", message="newest taken in")
        assert view.scroll_y == 0
        await pilot.press("G")
        assert view.follow
        await wait_for(lambda: "INFO newest" in screen_text(app), message="followed")


async def test_json_lines_message_first_and_fields_on_enter(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    line = ('{"level":50,"time":1714557600000,"msg":"upstream timed out",'
            '"req":{"method":"GET","url":"/api/x"},"responseTime":5012}')
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot, [line])
        await wait_for(lambda: "ERR api upstream timed out" in screen_text(app),
                       message="the line drawn")
        assert "ERR api upstream timed out req.method" not in screen_text(app)
        await pilot.press("up", "enter")
        await wait_for(lambda: "req.method" in screen_text(app), message="fields shown")
        text = screen_text(app)
        assert "responseTime" in text and "5012" in text
        await pilot.press("t")
        assert "times UTC" in pane(app).title
        await wait_for(lambda: "10:00:00 ERR api upstream timed out" in screen_text(app),
                       message="UTC time shown")
        await pilot.press("t")
        assert "times" not in pane(app).title


async def test_markers_and_source_states_are_visible(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(140, 30)):
        tail = FakeTail(app, sources=(("api", "connected", "connected"),
                                      ("worker", "quiet", "quiet for 42 s"),
                                      ("fly", "never connected",
                                       "command not found: fly · retrying in 4 s")))
        tail.add(["INFO before"])
        tail.marker(LineKind.ROTATED, "api.log was rotated; following the new file")
        tail.marker(LineKind.GAP, "gap of 2.0 s: fly exit 1; restarted")
        tail.add(["INFO after"])
        tail.publish()
        await wait_for(lambda: len(shown(app)) == 4, message="rows")
        await wait_for(lambda: "rotated · api: api.log was rotated" in screen_text(app),
                       message="markers drawn")
        text = screen_text(app)
        assert "gap · api: gap of 2.0 s" in text
        title = pane(app).title
        assert "worker: quiet for 42 s" in title
        assert "fly: command not found: fly · retrying in 4 s" in title
        assert pane(app).has_class("-problem")


async def test_colour_from_the_source_is_sgr_only(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot, ["\x1b[31mred words\x1b[0m then \x1b]0;title\x07"])
        await pilot.press("c")
        view = app.screen.query_one(LogView)
        text = view.row_text(view.rows.lines[0])
        red = [span for span in text.spans if "red" in str(span.style)]
        assert red and text.plain[red[0].start:red[0].end] == "red words"
        assert "␛]0;title␇" in text.plain
        assert "colour" in pane(app).subtitle


async def test_save_writes_the_filtered_view_0600_and_redacted(tmp_path: Path,
                                                                monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot, [*LINES, "ERROR login failed password=hunter2x"])
        await pilot.press("f", "s")
        await wait_for(lambda: app.screen.__class__.__name__ == "SaveLogDialog", message="dialog")
        box = app.screen.query_one("#save-path", Input)
        target = tmp_path / "saved.log"
        box.value = str(target)
        await pilot.press("enter")
        await wait_for(target.exists, message="saved file")
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        content = target.read_text()
        assert content.splitlines() == ["ERROR database connection refused",
                                        "ERROR payment failed: card declined",
                                        "ERROR login failed password=«redacted»"]
        await pilot.press("s")
        await wait_for(lambda: app.screen.__class__.__name__ == "SaveLogDialog", message="dialog")
        app.screen.query_one("#save-path", Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert target.read_text() == content  # never replaced


async def test_copy_selected_lines_redacted(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot, [*LINES, "INFO db postgres://app:s3cretpw@db:5432/x"])
        await pilot.press("y")
        assert app.clipboard == ""  # nothing selected yet: told to select first
        await pilot.press("up", "shift+up", "y")
        assert app.clipboard == ("INFO done\nINFO db postgres://app:«redacted»@db:5432/x\n")


async def test_attach_posts_the_selected_lines(tmp_path: Path) -> None:
    seen: list[Message] = []
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30), message_hook=seen.append) as pilot:
        await started(tmp_path, pilot)
        await pilot.press("up", "up", "shift+down", "x")
        attached = list({id(m): m for m in seen if isinstance(m, LogPane.AttachLines)}.values())
        assert len(attached) == 1
        assert [line.text for line in attached[0].lines] == [
            "ERROR payment failed: card declined", "INFO done"]
        assert attached[0].text == ("api | ERROR payment failed: card declined\n"
                                    "api | INFO done\n")


async def test_error_shapes_count_errors_by_type(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    lines = [f"ERROR timeout after {n} ms calling 10.0.0.{n}" for n in range(5)]
    lines += ["ERROR user 'bob' not found", "ERROR user 'amy' not found", "INFO fine"]
    async with app.run_test(size=(120, 30)) as pilot:
        await started(tmp_path, pilot, lines)
        await pilot.press("number_sign")
        await wait_for(lambda: app.screen.__class__.__name__ == "ErrorShapesScreen",
                       message="shapes")
        await wait_for(lambda: "7 error lines" in screen_text(app), message="shapes shown")
        text = screen_text(app)
        assert "5  ERROR timeout after <n> ms calling <n>.<n>" in text
        assert "2  ERROR user '…' not found" in text
        await pilot.press("escape")
        assert app.screen.__class__.__name__ == "LogsScreen"


async def test_bounded_buffer_shows_memory_and_dropped(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)):
        tail = FakeTail(app, cap=100)
        tail.add([f"INFO n{i}" for i in range(250)])
        tail.publish()
        await wait_for(lambda: "150 dropped" in pane(app).subtitle, message="dropped")
        assert "100/100 held" in pane(app).subtitle and "KB" in pane(app).subtitle
        assert shown(app)[0] == "INFO n150"


async def test_flood_is_applied_a_few_times_a_second(tmp_path: Path) -> None:
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        tail = await started(tmp_path, pilot)
        calls = count_applies(app.screen.query_one(LogView))
        for i in range(40):
            tail.add([f"INFO flood {i}"])
            tail.publish()
        await wait_for(lambda: shown(app)[-1] == "INFO flood 39", message="last batch")
        assert len(calls) <= 2, "40 publications in a burst are applied at most twice"


async def test_a_line_after_a_quiet_spell_shows_at_once(tmp_path: Path) -> None:
    """The refresh-slot limit is for floods: once a batch brought nothing new (the tail's
    heartbeat), the next line is drawn with the batch that brings it, not a slot later."""
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        tail = await started(tmp_path, pilot)
        applied = count_applies(app.screen.query_one(LogView))
        tail.publish()  # a heartbeat: nothing new
        await wait_for(lambda: applied, message="the heartbeat applied")
        tail.add(["ERROR after the quiet spell"])
        tail.publish()
        await pilot.pause()
        assert shown(app)[-1] == "ERROR after the quiet spell"


async def test_following_keeps_the_last_line_in_sight_when_a_wide_line_arrives(
    tmp_path: Path,
) -> None:
    """A line wider than the view brings the horizontal scrollbar, one row less for the
    lines: a following view must still show the newest line (it showed the one before,
    the newest hidden under the scrollbar, while the title said "following")."""
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        tail = await started(tmp_path, pilot, [f"INFO short {n}" for n in range(100)])
        view = app.screen.query_one(LogView)
        tail.add(["ERROR " + "x" * 300, *(f"INFO after {n}" for n in range(5))])
        tail.publish()
        await wait_for(lambda: view.show_horizontal_scrollbar
                       and view.rows.lines[-1].text == "INFO after 4", message="wide line in")
        await wait_for(lambda: round(view.scroll_y) == view._bottom(),
                       message="scrolled to the newest line under the scrollbar")
        await wait_for(lambda: "INFO after 4" in screen_text(app), message="newest line drawn")
        assert view.follow


async def test_following_shows_the_end_of_a_first_batch_that_outgrows_the_view(
    tmp_path: Path,
) -> None:
    """Textual ignores a scroll while the view has no vertical scrollbar yet; when a
    flood's first batch outgrew an empty view, it stayed at the top while saying
    "following" (seen with `onduty logs -- CMD` on a 100k-line burst)."""
    app = make_log_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        tail = FakeTail(pilot.app)
        tail.publish()
        view = app.screen.query_one(LogView)
        await wait_for(lambda: view.display and view.size.height > 0, message="empty view")
        await pilot.pause()
        tail.add([f"INFO flood {n}" for n in range(5000)])
        tail.publish()
        await wait_for(lambda: len(view.rows) == 5000, message="batch in")
        await wait_for(lambda: view.show_vertical_scrollbar, message="scrollbar shown")
        await wait_for(lambda: "INFO flood 4999" in screen_text(app), message="the end drawn")
        assert view.follow
        assert round(view.scroll_y) == view._bottom()
