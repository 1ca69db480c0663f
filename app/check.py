"""``dispatch120 --check``: is this seat ready for work? One line per check, with what to do.

The checks, in the order they are printed (:data:`SEAT_CHECKS`):

========== ==================================================== ==========================
name       what it looks at                                     where
========== ==================================================== ==========================
settings   the settings files: a malformed ``server_url`` is a  here
           FAIL, other refused values a WARN
fonts      a font that draws Simplified Chinese                 ``widgets.check_qt``
webengine  QtWebEngine starts (a page loads, then is deleted)   ``widgets.check_qt``
map        the seat's own map page loads offline                ``widgets.check_qt``
keyring    the OS keyring backend is a real one                 here
server     TCP, TLS (verified) and the websocket upgrade         here
credential a real ``hello`` with the token from the keyring     here
journal    the journal's directory is writable; unsent commands here
clock      this PC's clock against the server's                 here
audio      an audio output for the CPR metronome's click        ``widgets.check_qt``
========== ==================================================== ==========================

The core returns :class:`CheckResult` (a status, a text key and its parameters);
:func:`render` turns it into a line in the UI language from :data:`TEXTS`, the one
table translators see (both ``zh_CN`` and ``en`` must exist for every key; a unit
test holds that).

Exit code (:func:`exit_code`): 0 when every check passed (skipped checks do not
count); 1 when any check failed; 3 when none failed but some warned — unless
``allow_warn``, then 0. A warning is something the seat can work without (no
audio device: the visible metronome still paces CPR; a clock off by a few seconds:
the seat corrects elapsed times itself).

Every check is bounded in time; the server checks share one connection and one
deadline (:data:`SERVER_DEADLINE_S`), so an unreachable server costs at most that.

No check changes anything: the journal is opened read-only, no token is written,
and the credential check's connection is closed right after the server's ``welcome``.
"""

from __future__ import annotations

import concurrent.futures
import email.utils
import os
import socket
import sqlite3
import ssl
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from app import secrets
from app.tls import TlsConfigError, client_context, describe_connect_error

if TYPE_CHECKING:
    from app.settings import ConfigProblem, Settings

# What a bounded call returns.
T = TypeVar("T")

SEAT_CHECKS = ("settings", "fonts", "webengine", "map", "keyring", "server", "credential", "journal", "clock",
               "audio")
QT_CHECKS = frozenset({"fonts", "webengine", "map", "audio"})
CLIENT_NAME = "dispatch120-check/0.1"

TCP_TIMEOUT_S = 3.0
OPEN_TIMEOUT_S = 4.0
HELLO_TIMEOUT_S = 4.0
SERVER_DEADLINE_S = 10.0  # TCP + TLS + upgrade + hello together, also when DNS hangs
# The seat corrects elapsed times for an offset above widgets.clock.OFFSET_TOLERANCE_S (2 s);
# above a minute the PC's own timestamps (logs, journal) are misleading: fix the PC's clock.
CLOCK_PASS_S = 2.0
CLOCK_WARN_S = 60.0


class Status(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome. ``key`` names its text in :data:`TEXTS`; ``params`` fill it in."""

    name: str
    status: Status
    key: str
    params: dict[str, Any] = field(default_factory=dict)


# name -> language -> label, and text key -> language -> text. Keep every text here.
NAMES: dict[str, dict[str, str]] = {
    "settings": {"zh_CN": "设置", "en": "settings"},
    "fonts": {"zh_CN": "中文字体", "en": "CJK fonts"},
    "webengine": {"zh_CN": "网页引擎", "en": "QtWebEngine"},
    "map": {"zh_CN": "离线地图", "en": "offline map"},
    "keyring": {"zh_CN": "系统密钥环", "en": "keyring"},
    "server": {"zh_CN": "服务器连接", "en": "server"},
    "credential": {"zh_CN": "席位凭据", "en": "credential"},
    "journal": {"zh_CN": "本地日志库", "en": "journal"},
    "clock": {"zh_CN": "时钟", "en": "clock"},
    "audio": {"zh_CN": "音频输出", "en": "audio"},
    "database": {"zh_CN": "数据库", "en": "database"},
    "bus": {"zh_CN": "消息总线", "en": "bus"},
    "certificate": {"zh_CN": "TLS 证书", "en": "certificate"},
    "disk": {"zh_CN": "磁盘空间", "en": "disk space"},
}

TEXTS: dict[str, dict[str, str]] = {
    "skipped": {"zh_CN": "已跳过（{why}）", "en": "skipped ({why})"},
    "skipped.asked": {"zh_CN": "命令行 --skip", "en": "asked with --skip"},
    "check.crashed": {"zh_CN": "检查本身出错：{error}；请把诊断包（dispatch120 diagnostics）发给技术支持",
                      "en": "the check itself failed: {error}; send a diagnostics bundle "
                            "(dispatch120 diagnostics) to support"},
    "check.timeout": {"zh_CN": "{seconds} 秒内没有结果", "en": "no result within {seconds} s"},
    # settings
    "settings.ok": {"zh_CN": "设置可用（服务器 {url}，席位 {seat}）", "en": "settings usable (server {url}, seat {seat})"},
    "settings.bad_url": {
        "zh_CN": "服务器地址格式错误：{problem}。请在 {where} 中把 server_url 改为 ws://主机:端口/ws 或 wss://…",
        "en": "malformed server URL: {problem}. Fix server_url in {where} (ws://host:port/ws or wss://…)"},
    "settings.offline": {"zh_CN": "改正并重启前，席位离线工作（命令保存在本地，稍后发送）。",
                         "en": "Until it is fixed and the seat restarted, the seat works offline (commands are "
                               "kept and sent later)."},
    "journal.fallback": {"zh_CN": "本次使用临时日志库 {path}：电脑重启后其中未发送的命令会丢失。",
                         "en": "This session uses a temporary journal at {path}: unsent commands in it are lost "
                               "if the PC restarts."},
    "settings.problems": {"zh_CN": "设置中有被忽略的值：{problems}；请改正这些文件",
                          "en": "settings values ignored: {problems}; correct those files"},
    "settings.no_seat": {"zh_CN": "未配置席位号：请在 dispatch120.toml 中设置 seat_id，或用 --seat-id 启动",
                         "en": "no seat id configured: set seat_id in dispatch120.toml or start with --seat-id"},
    # fonts
    "fonts.ok": {"zh_CN": "可显示中文（{families}）", "en": "Chinese text can be drawn ({families})"},
    "fonts.missing": {"zh_CN": "没有中文字体，界面中文会显示为方框：请安装 fonts-wqy-microhei 或 fonts-noto-cjk",
                      "en": "no Chinese font: Chinese text shows as boxes; install fonts-wqy-microhei or "
                            "fonts-noto-cjk"},
    # webengine
    "webengine.ok": {"zh_CN": "QtWebEngine 可以启动（Chromium {version}）",
                     "en": "QtWebEngine starts (Chromium {version})"},
    "webengine.failed": {"zh_CN": "QtWebEngine 无法启动：{error}。请检查 libnss3 等依赖；以 root 运行需设置 "
                                  "QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox",
                         "en": "QtWebEngine does not start: {error}. Check its libraries (libnss3, …); as root "
                               "set QTWEBENGINE_CHROMIUM_FLAGS=--no-sandbox"},
    # map
    "map.ok": {"zh_CN": "地图页面离线加载成功（{city}）", "en": "the map page loads offline ({city})"},
    "map.failed": {"zh_CN": "地图页面未能加载：{error}。请重新安装 dispatch120，或检查 map_city / map_mbtiles 设置",
                   "en": "the map page did not load: {error}. Reinstall dispatch120, or check the map_city / "
                         "map_mbtiles settings"},
    "map.settings": {"zh_CN": "地图设置不可用（{error}），使用内置离线底图；请改正地图设置",
                     "en": "map settings unusable ({error}); the built-in offline basemap is used; correct the "
                           "map settings"},
    "map.remote": {"zh_CN": "地图页面请求了外网地址（{urls}）；离线时这些内容无法显示",
                   "en": "the map page asked for remote addresses ({urls}); they will not show offline"},
    # keyring
    "keyring.ok": {"zh_CN": "密钥环可用：{backend}", "en": "keyring usable: {backend}"},
    "keyring.failed": {"zh_CN": "密钥环不可用：{error}", "en": "no usable keyring: {error}"},
    # server
    "server.ok": {"zh_CN": "服务器可达：{url}{tls}", "en": "server reachable: {url}{tls}"},
    "server.tls_ok": {"zh_CN": "（TLS 证书已验证）", "en": " (TLS certificate verified)"},
    "server.bad_url": {"zh_CN": "服务器地址无法使用：{url}；请改正 server_url",
                       "en": "the server URL cannot be used: {url}; correct server_url"},
    "server.dns": {"zh_CN": "无法解析主机名 {host}：{error}；请检查 server_url 和 DNS",
                   "en": "cannot resolve the host {host}: {error}; check server_url and DNS"},
    "server.refused": {"zh_CN": "{host}:{port} 拒绝连接：服务器未运行，或端口错误",
                       "en": "{host}:{port} refused the connection: the server is not running, or the port "
                             "is wrong"},
    "server.timeout": {"zh_CN": "{host}:{port} 在 {seconds} 秒内无应答：请检查网络、防火墙",
                       "en": "{host}:{port} did not answer within {seconds} s: check the network and firewall"},
    "server.unreachable": {"zh_CN": "无法连接 {host}:{port}：{error}；请检查网络",
                           "en": "cannot connect to {host}:{port}: {error}; check the network"},
    "server.tls": {"zh_CN": "TLS 连接失败：{error}。请在设置中配置中心的 CA 证书（server_ca_file）或更正地址",
                   "en": "TLS failed: {error}. Configure the centre's CA (server_ca_file, --server-ca) or "
                         "correct the address"},
    "server.not_websocket": {"zh_CN": "{url} 不是 dispatch120 服务器的 websocket 端点：{error}；请检查路径（通常为 /ws）",
                             "en": "{url} is not a dispatch120 websocket endpoint: {error}; check the path "
                                   "(usually /ws)"},
    # credential
    "credential.ok": {"zh_CN": "服务器接受了本席位的凭据（{principal}）",
                      "en": "the server accepted this seat's credential ({principal})"},
    "credential.no_token": {"zh_CN": "席位 {seat} 没有保存令牌：请运行 dispatch120 credentials set",
                            "en": "no token stored for seat {seat}: run dispatch120 credentials set"},
    "credential.refused": {"zh_CN": "令牌已被吊销或错误：请运行 dispatch120 credentials set",
                           "en": "token revoked or wrong: run dispatch120 credentials set"},
    "credential.upgrade": {"zh_CN": "服务器不支持本席位的协议版本：请升级 dispatch120",
                           "en": "the server does not speak this seat's protocol version: upgrade dispatch120"},
    "credential.no_answer": {"zh_CN": "服务器在 {seconds} 秒内没有回答登录（{error}）",
                             "en": "the server did not answer the login within {seconds} s ({error})"},
    "credential.needs_server": {"zh_CN": "需要先连上服务器", "en": "needs the server"},
    "credential.needs_keyring": {"zh_CN": "需要可用的密钥环", "en": "needs a usable keyring"},
    # journal
    "journal.ok": {"zh_CN": "本地日志库可写：{path}；待发送命令 {outbox} 条",
                   "en": "journal writable: {path}; {outbox} command(s) waiting to be sent"},
    "journal.new": {"zh_CN": "本地日志库将新建于 {path}（目录可写）",
                    "en": "the journal will be created at {path} (directory writable)"},
    "journal.unwritable": {"zh_CN": "本地日志库不可写：{path}（{error}）。请让席位用户对该目录有写权限，或在设置中改 "
                                    "journal_path",
                           "en": "the journal cannot be written: {path} ({error}). Give the seat's user write "
                                 "access there, or set journal_path"},
    "journal.unreadable": {"zh_CN": "本地日志库无法读取：{path}（{error}）；席位启动时会将其移到一旁并新建",
                           "en": "the journal cannot be read: {path} ({error}); the seat moves it aside and "
                                 "starts a fresh one"},
    # clock
    "clock.ok": {"zh_CN": "与服务器时间相差 {offset} 秒", "en": "{offset} s from the server's clock"},
    "clock.warn": {"zh_CN": "与服务器时间相差 {offset} 秒：席位会自动校正，但请同步本机时钟（NTP）",
                   "en": "{offset} s from the server's clock: the seat corrects for it, but synchronise this "
                         "PC's clock (NTP)"},
    "clock.fail": {"zh_CN": "与服务器时间相差 {offset} 秒：请同步本机时钟（NTP）",
                   "en": "{offset} s from the server's clock: synchronise this PC's clock (NTP)"},
    "clock.unknown": {"zh_CN": "服务器未提供时间", "en": "the server sent no time"},
    # audio
    "audio.ok": {"zh_CN": "音频输出：{device}", "en": "audio output: {device}"},
    "audio.missing": {"zh_CN": "没有音频输出设备：心肺复苏节拍器只显示视觉节拍（仍可使用）；如需声音请接入扬声器",
                      "en": "no audio output: the CPR metronome shows its visible beat only (still usable); "
                            "connect a speaker for its click"},
    # server side (server_stub.check)
    "database.ok": {"zh_CN": "数据库 {db}：{state}", "en": "database {db}: {state}"},
    "database.newer": {"zh_CN": "数据库 {db} 由更新版本的服务器写入（{revision}）：请安装该版本或更新的服务器",
                       "en": "database {db} was written by a newer server ({revision}): install that server "
                             "version or newer"},
    "database.failed": {"zh_CN": "无法打开数据库 {db}：{error}", "en": "cannot open the database {db}: {error}"},
    "bus.none": {"zh_CN": "未配置（单实例）", "en": "not configured (single instance)"},
    "bus.ok": {"zh_CN": "总线 {url} 应答 PING", "en": "bus {url} answers PING"},
    "bus.failed": {"zh_CN": "总线 {url} 无应答：{error}；请检查 Redis 服务",
                   "en": "bus {url} does not answer: {error}; check the Redis service"},
    "certificate.none": {"zh_CN": "未配置 --tls-cert（仅 ws://，手机定位需要 https）",
                         "en": "no --tls-cert (ws:// only; callers' phones need https for GPS)"},
    "certificate.ok": {"zh_CN": "证书 {cert} 有效至 {until}（{days} 天）", "en": "certificate {cert} valid until "
                                                                         "{until} ({days} days)"},
    "certificate.expiring": {"zh_CN": "证书 {cert} 将在 {days} 天后过期（{until}）：请尽快更换",
                             "en": "certificate {cert} expires in {days} days ({until}): renew it soon"},
    "certificate.expired": {"zh_CN": "证书 {cert} 已于 {until} 过期：请更换证书",
                            "en": "certificate {cert} expired on {until}: renew it"},
    "certificate.missing": {"zh_CN": "找不到证书或私钥文件：{path}", "en": "certificate or key file missing: {path}"},
    "certificate.mismatch": {"zh_CN": "私钥与证书不匹配：{error}", "en": "the key does not match the certificate: {error}"},
    "certificate.key_readable": {"zh_CN": "私钥 {key} 其他用户可读（权限 {mode}）：请执行 chmod 600",
                                 "en": "the private key {key} is readable by other users (mode {mode}): "
                                       "chmod 600 it"},
    "certificate.bad": {"zh_CN": "证书 {cert} 无法读取：{error}", "en": "certificate {cert} cannot be read: {error}"},
    "disk.ok": {"zh_CN": "{path} 剩余 {free_gb} GB", "en": "{free_gb} GB free at {path}"},
    "disk.low": {"zh_CN": "{path} 仅剩 {free_gb} GB（低于 {limit_gb} GB）：请清理或扩容",
                 "en": "only {free_gb} GB free at {path} (below {limit_gb} GB): free space or grow the disk"},
    "disk.failed": {"zh_CN": "无法读取 {path} 的磁盘空间：{error}", "en": "cannot read free space at {path}: {error}"},
    "clock.ntp_ok": {"zh_CN": "系统时钟已通过 NTP 同步", "en": "the system clock is NTP-synchronised"},
    "clock.ntp_off": {"zh_CN": "系统时钟未同步（NTPSynchronized=no）：请启用 NTP（timedatectl set-ntp true）",
                      "en": "the system clock is not synchronised (NTPSynchronized=no): enable NTP "
                            "(timedatectl set-ntp true)"},
    "clock.ntp_unknown": {"zh_CN": "无法确认时钟是否同步（{why}）", "en": "cannot verify clock synchronisation ({why})"},
}


def render(result: CheckResult, language: str = "zh_CN") -> str:
    """One line: ``PASS  名称  text``. ``language`` is ``zh_CN`` or ``en``."""
    lang = "en" if language.startswith("en") else "zh_CN"
    name = NAMES.get(result.name, {}).get(lang, result.name)
    template = TEXTS.get(result.key, {}).get(lang, result.key)
    params = {k: (_text(v, lang) if isinstance(v, CheckResultText) else v) for k, v in result.params.items()}
    try:
        text = template.format(**params)
    except (KeyError, IndexError, ValueError):
        text = f"{template} {params}"
    return f"{result.status.value:<4}  {name}: {text}"


@dataclass(frozen=True)
class CheckResultText:
    """A parameter that is itself a text of the table (e.g. why a check was skipped)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def _text(value: CheckResultText, lang: str) -> str:
    return TEXTS.get(value.key, {}).get(lang, value.key).format(**value.params)


def message(result: CheckResult, language: str = "zh_CN") -> str:
    """The result's text without the status and name columns (for the seat's message strip)."""
    line = render(result, language)
    return line.split(": ", 1)[1] if ": " in line else line


def exit_code(results: Iterable[CheckResult], *, allow_warn: bool = False) -> int:
    """0 all passed (skips ignored); 1 any failed; 3 only warnings (0 with ``allow_warn``)."""
    statuses = {r.status for r in results}
    if Status.FAIL in statuses:
        return 1
    if Status.WARN in statuses and not allow_warn:
        return 3
    return 0


def skipped(name: str, key: str = "skipped.asked", **params: object) -> CheckResult:
    return CheckResult(name, Status.SKIP, "skipped", {"why": CheckResultText(key, params)})


def guarded(name: str, fn: Callable[[], CheckResult]) -> CheckResult:
    """Run one check; an unexpected exception becomes a FAIL naming it (never a traceback)."""
    try:
        return fn()
    except Exception as exc:  # a check must report, not crash the report
        return CheckResult(name, Status.FAIL, "check.crashed", {"error": f"{type(exc).__name__}: {exc}"})


# ---------------------------------------------------------------- settings


def url_problem(settings: Settings) -> ConfigProblem | None:
    """The settings problem about ``server_url``, if any (a ConfigProblem), else None."""
    for problem in getattr(settings, "problems", ()):
        if str(problem.message).startswith("server_url:"):
            return problem
    return None


def url_unusable(settings: Settings) -> bool:
    """True when ``server_url`` was malformed and no other layer gave a usable one (the default is left)."""
    return url_problem(settings) is not None and settings.sources.get("server_url") == "default"


def check_settings(settings: Settings) -> CheckResult:
    bad = url_problem(settings)
    if bad is not None:
        where = f"{bad.source}:{bad.line}" if bad.line else bad.source
        return CheckResult("settings", Status.FAIL, "settings.bad_url",
                           {"problem": bad.message.removeprefix("server_url: "), "where": where})
    if not settings.seat_id:
        return CheckResult("settings", Status.FAIL, "settings.no_seat")
    if settings.problems:
        # A value typed on the command line was refused: the seat would not run as asked.
        typed = any(p.source == "command line" for p in settings.problems)
        return CheckResult("settings", Status.FAIL if typed else Status.WARN, "settings.problems",
                           {"problems": "; ".join(str(p) for p in settings.problems)})
    return CheckResult("settings", Status.PASS, "settings.ok", {"url": settings.server_url, "seat": settings.seat_id})


# ---------------------------------------------------------------- keyring


def check_keyring() -> CheckResult:
    try:
        name = secrets.backend_name()
    except secrets.SecretsUnavailable as exc:
        return CheckResult("keyring", Status.FAIL, "keyring.failed", {"error": str(exc)})
    return CheckResult("keyring", Status.PASS, "keyring.ok", {"backend": name})


# ---------------------------------------------------------------- journal


def _writable_dir(directory: Path) -> str | None:
    """Why files cannot be created in ``directory`` (or its nearest existing parent), or None."""
    probe_dir = directory
    while not probe_dir.exists():
        if probe_dir.parent == probe_dir:
            return "no existing parent directory"
        probe_dir = probe_dir.parent
    if not probe_dir.is_dir():
        return f"{probe_dir} is not a directory"
    try:
        # A real file, not os.access: ACLs, read-only mounts and full disks show up only this way.
        with tempfile.NamedTemporaryFile(dir=probe_dir, prefix=".dispatch120-check-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def check_journal(path: Path) -> CheckResult:
    """The journal's directory takes new files, the file (if any) is writable, and its outbox size.

    Opens the file read-only (``mode=ro``): a check never migrates or moves a journal.
    """
    path = Path(path)
    why = _writable_dir(path.parent)
    if why is not None:
        return CheckResult("journal", Status.FAIL, "journal.unwritable", {"path": str(path), "error": why})
    if not path.exists():
        return CheckResult("journal", Status.PASS, "journal.new", {"path": str(path)})
    if not os.access(path, os.W_OK):
        return CheckResult("journal", Status.FAIL, "journal.unwritable",
                           {"path": str(path), "error": "file is read-only"})
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            outbox = db.execute("SELECT count(*) FROM outbox").fetchone()[0] if "outbox" in tables else 0
        finally:
            db.close()
    except sqlite3.Error as exc:
        return CheckResult("journal", Status.WARN, "journal.unreadable", {"path": str(path), "error": str(exc)})
    return CheckResult("journal", Status.PASS, "journal.ok", {"path": str(path), "outbox": outbox})


# ---------------------------------------------------------------- server, credential, clock


@dataclass
class ServerProbe:
    """What one connection to the server found: the three results ``server``, ``credential``, ``clock``."""

    server: CheckResult
    credential: CheckResult
    clock: CheckResult


def clock_result(server_time: datetime | None, local_mid: datetime, *, resolution_s: float = 0.0) -> CheckResult:
    """Compare the server's time with this PC's (``local_mid``: halfway through the round trip)."""
    if server_time is None:
        return CheckResult("clock", Status.WARN, "clock.unknown")
    offset = (server_time - local_mid).total_seconds()
    size = max(0.0, abs(offset) - resolution_s)  # an HTTP Date has whole seconds
    params = {"offset": f"{offset:+.1f}"}
    if size <= CLOCK_PASS_S:
        return CheckResult("clock", Status.PASS, "clock.ok", params)
    if size <= CLOCK_WARN_S:
        return CheckResult("clock", Status.WARN, "clock.warn", params)
    return CheckResult("clock", Status.FAIL, "clock.fail", params)


def _parse_server_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    from app.protocol import parse_ts

    try:
        moment = parse_ts(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def probe_server(url: str, token: str | None, *, token_problem: CheckResult | None = None,
                 ca_file: str | Path | None = None, now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 tcp_timeout_s: float = TCP_TIMEOUT_S, open_timeout_s: float = OPEN_TIMEOUT_S,
                 hello_timeout_s: float = HELLO_TIMEOUT_S) -> ServerProbe:
    """Connect to ``url`` like the seat does: TCP, TLS (verified), websocket upgrade, ``hello``.

    Without a ``token`` the credential check reports ``token_problem`` (no token stored, no
    keyring) and the clock comes from the handshake's HTTP ``Date`` header. Blocking; bounded
    by the three timeouts (name resolution is not: call through :func:`run_bounded`).
    """
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
    from websockets.sync.client import connect

    from app.protocol import ErrorCode
    from app.protocol.session import (
        BadFrame,
        ClientSession,
        CloseAdvice,
        HelloRefused,
        MemoryOutbox,
        SendFrame,
        Welcomed,
        close_advice,
    )

    needs_server = skipped("credential", "credential.needs_server")
    clock_skip = skipped("clock", "credential.needs_server")

    def down(key: str, **params: Any) -> ServerProbe:
        return ServerProbe(CheckResult("server", Status.FAIL, key, params), needs_server, clock_skip)

    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "wss" else 80)
    except ValueError:
        return down("server.bad_url", url=url)
    host = parts.hostname
    if parts.scheme not in ("ws", "wss") or not host:
        return down("server.bad_url", url=url)
    try:
        sock = socket.create_connection((host, port), timeout=tcp_timeout_s)
    except socket.gaierror as exc:
        return down("server.dns", host=host, error=exc.strerror or str(exc))
    except ConnectionRefusedError:
        return down("server.refused", host=host, port=port)
    except TimeoutError:
        return down("server.timeout", host=host, port=port, seconds=f"{tcp_timeout_s:g}")
    except OSError as exc:
        return down("server.unreachable", host=host, port=port, error=exc.strerror or str(exc))
    sock.close()
    tls = parts.scheme == "wss"
    try:
        context = client_context(url, Path(ca_file) if ca_file else None)
    except TlsConfigError as exc:
        return down("server.tls", error=str(exc))
    try:
        ws = connect(url, open_timeout=open_timeout_s, ssl=context,
                     max_size=None, compression=None, close_timeout=1)
    except ssl.SSLError as exc:  # verification failed, or the server does not speak TLS
        return down("server.tls", error=describe_connect_error(exc, url, Path(ca_file) if ca_file else None))
    except InvalidStatus as exc:
        return down("server.not_websocket", url=url, error=f"HTTP {exc.response.status_code}")
    except (InvalidHandshake, InvalidURI) as exc:
        return down("server.not_websocket", url=url, error=str(exc))
    except TimeoutError:
        return down("server.timeout", host=host, port=port, seconds=f"{open_timeout_s:g}")
    except OSError as exc:
        return down("server.unreachable", host=host, port=port, error=exc.strerror or str(exc))
    with ws:
        reached = CheckResult("server", Status.PASS, "server.ok",
                              {"url": url, "tls": CheckResultText("server.tls_ok") if tls else ""})
        date = _http_date(ws.response.headers.get("Date") if ws.response is not None else None)
        if token is None:
            clock = clock_result(date, now(), resolution_s=1.0)
            return ServerProbe(reached, token_problem or skipped("credential", "credential.needs_keyring"), clock)
        sent_at = now()
        # The same session the seat uses: it builds the hello and says what a close means.
        session = ClientSession(token=token, client=CLIENT_NAME, outbox=MemoryOutbox())
        for action in session.connection_made(None):
            if isinstance(action, SendFrame):
                ws.send(action.frame)

        def no_answer(error: str) -> ServerProbe:
            """The login got no welcome: closed, timed out, or answered with something else."""
            return ServerProbe(reached, CheckResult("credential", Status.FAIL, "credential.no_answer",
                                                    {"seconds": f"{hello_timeout_s:g}", "error": error}),
                               clock_result(date, sent_at, resolution_s=1.0))

        def closed(code: int | None, reason: str, *, unauthenticated: bool = False) -> ServerProbe:
            advice = close_advice(code)
            if unauthenticated or advice is CloseAdvice.AUTH_FAILED:
                result = CheckResult("credential", Status.FAIL, "credential.refused")
            elif advice is CloseAdvice.UPGRADE:
                result = CheckResult("credential", Status.FAIL, "credential.upgrade")
            else:
                return no_answer(f"closed {code} {reason}".strip())
            return ServerProbe(reached, result, clock_result(date, sent_at, resolution_s=1.0))

        try:
            frame = ws.recv(timeout=hello_timeout_s)
        except ConnectionClosed as exc:
            return closed(exc.rcvd.code if exc.rcvd is not None else None, exc.rcvd.reason if exc.rcvd else "")
        except TimeoutError:
            return no_answer("timeout")
        received_at = now()
        actions = session.receive_frame(frame)
        welcomed = next((a for a in actions if isinstance(a, Welcomed)), None)
        refused = next((a for a in actions if isinstance(a, HelloRefused)), None)
        bad = next((a for a in actions if isinstance(a, BadFrame)), None)
        if refused is not None:
            # The server explains a refused hello in an error frame, then closes (4001 for a bad token).
            close_code: int | None = None
            try:
                ws.recv(timeout=hello_timeout_s)
            except ConnectionClosed as exc:
                close_code = exc.rcvd.code if exc.rcvd is not None else None
            except TimeoutError:
                pass
            return closed(close_code, str(refused.message.get("message") or ""),
                          unauthenticated=refused.message.get("code") == ErrorCode.UNAUTHENTICATED)
        if welcomed is None:
            return no_answer(str(bad.error) if bad is not None else f"got {frame[:40]!r}")
        msg = welcomed.message
        principal = msg.get("principal") or {}
        credential = CheckResult("credential", Status.PASS, "credential.ok",
                                 {"principal": f"{principal.get('id')} / {principal.get('role')}"})
        middle = sent_at + (received_at - sent_at) / 2
        return ServerProbe(reached, credential, clock_result(_parse_server_time(msg.get("server_time")), middle))


def run_bounded(fn: Callable[[], T], timeout_s: float) -> tuple[bool, T | None]:
    """Run ``fn`` in a daemon thread; (True, result) or (False, None) after ``timeout_s``.

    For calls that cannot be given a timeout themselves (name resolution). A call still
    running after the timeout is abandoned (daemon thread; it ends with the process).
    Exceptions of ``fn`` propagate.
    """
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="check")
    future = pool.submit(fn)
    pool.shutdown(wait=False)
    try:
        return True, future.result(timeout=timeout_s)
    except concurrent.futures.TimeoutError:
        return False, None


# ---------------------------------------------------------------- the whole seat


def token_for(seat_id: str | None, keyring_result: CheckResult) -> tuple[str | None, CheckResult | None]:
    """The seat's token from the keyring, or None and the credential result that says why."""
    if keyring_result.status is not Status.PASS:
        return None, skipped("credential", "credential.needs_keyring")
    if not seat_id:
        return None, CheckResult("credential", Status.FAIL, "settings.no_seat")
    try:
        token = secrets.get_token(seat_id)
    except secrets.SecretsUnavailable as exc:
        return None, CheckResult("credential", Status.FAIL, "keyring.failed", {"error": str(exc)})
    if not token:
        return None, CheckResult("credential", Status.FAIL, "credential.no_token", {"seat": seat_id})
    return token, None


def run_seat_checks(settings: Settings, *, skip: Sequence[str] = (), ca_file: str | Path | None = None,
                    qt_checks: Callable[[set[str]], dict[str, CheckResult]] | None = None,
                    server_deadline_s: float = SERVER_DEADLINE_S) -> list[CheckResult]:
    """Every seat check, in :data:`SEAT_CHECKS` order.

    Args:
        settings: the seat's resolved ``app.settings.Settings``.
        skip: check names not to run (reported as SKIP).
        ca_file: the centre's CA (PEM) to verify a ``wss://`` server with; default the seat's
            ``server_ca_file`` setting, else the system's CAs (:func:`app.tls.client_context`).
        qt_checks: ``(names) -> {name: result}`` for the Qt checks (``widgets.check_qt.run_qt_checks``);
            None reports them skipped (a build or a caller without Qt).
    """
    wanted = [name for name in SEAT_CHECKS if name not in skip]
    results: dict[str, CheckResult] = {name: skipped(name) for name in SEAT_CHECKS if name in skip}
    if "settings" in wanted:
        results["settings"] = guarded("settings", lambda: check_settings(settings))
    qt_wanted = {n for n in wanted if n in QT_CHECKS}
    if qt_wanted:
        if qt_checks is None:
            results.update({n: skipped(n, "check.crashed", error="Qt not available") for n in qt_wanted})
        else:
            try:
                results.update(qt_checks(qt_wanted))
            except Exception as exc:
                results.update({n: CheckResult(n, Status.FAIL, "check.crashed", {"error": str(exc)})
                                for n in qt_wanted})
    keyring_result = guarded("keyring", check_keyring)
    if "keyring" in wanted:
        results["keyring"] = keyring_result
    if "journal" in wanted:
        results["journal"] = guarded("journal", lambda: check_journal(settings.journal_path))
    net = [n for n in ("server", "credential", "clock") if n in wanted]
    if net:
        if url_unusable(settings):
            bad = url_problem(settings)
            probe = ServerProbe(CheckResult("server", Status.FAIL, "server.bad_url",
                                            {"url": bad.message.removeprefix("server_url: ") if bad else ""}),
                                skipped("credential", "credential.needs_server"),
                                skipped("clock", "credential.needs_server"))
        else:
            token, token_problem = (None, None)
            if "credential" in wanted:
                token, token_problem = token_for(settings.seat_id, keyring_result)
            try:
                done, found = run_bounded(
                    lambda: probe_server(settings.server_url, token, token_problem=token_problem,
                                     ca_file=ca_file or getattr(settings, "server_ca_file", None)),
                    server_deadline_s,
                )
            except Exception as exc:  # a bug in the probe: report it as a failed check, not a traceback
                done, found = True, ServerProbe(
                    CheckResult("server", Status.FAIL, "check.crashed", {"error": f"{type(exc).__name__}: {exc}"}),
                    skipped("credential", "credential.needs_server"), skipped("clock", "credential.needs_server"))
            if done and found is not None:  # probe_server returns a probe or raises
                probe = found
            else:
                timeout = CheckResult("server", Status.FAIL, "check.timeout", {"seconds": f"{server_deadline_s:g}"})
                probe = ServerProbe(timeout, skipped("credential", "credential.needs_server"),
                                    skipped("clock", "credential.needs_server"))
        for name in net:
            results[name] = getattr(probe, name)
    return [results[name] for name in SEAT_CHECKS if name in results]
