"""Wire tables of training: what a simulated caller says, and the trainer's controls.

In a training centre the simulated phone switch plays the caller. When the trainee
answers a questionnaire step (``triage.answered``) the switch replies with the caller's
scripted words for that question, after a speaking delay, as ``training.caller_say``;
the server records it as ``training.caller_said`` and every seat sees it on the call.
The trainer's console may also speak as the caller (the trainer types the line).
The trainee may also type a free question to the caller (``training.ask`` from the seat
that answered the call, recorded as ``training.asked`` with that seat); the switch finds
the protocol question it means and the caller replies as to that question, or says it
does not know.

The trainer's console runs the scenario through the same server: ``training.set_clock``
pauses, resumes or rescales the scenario clock and ``training.inject`` asks for an
injected event (a unit breaks down, a second call, a hospital diverts, the server
drops for 30 s). The runner of the training centre follows the events they make
(``training.clock_set``, ``training.injected``); the event log so keeps every pause and
speed change, which the after-action report needs to turn server time into scenario time.
The runner announces its starting clock with ``training.set_clock`` too (as the switch).
The run is an entity (``state.training_runs[run_id]``: clock and injections so far), so a
console that connects late, or after a reconnect, sees the clock as it is.

Only a training centre accepts these commands (the domain refuses them where no trainer
is registered), so scripted words never enter a real centre's record.

Imports only ``app.protocol.schema`` and ``app.protocol.vocabulary`` (see ``app.protocol.features``).
"""

from app.protocol.schema import UNSET, NameId, Num, Opt, Str, Wire, choice
from app.protocol.vocabulary import Role

CALLER_SAY_MAX = 500
# A typed question to the simulated caller: one line, what a dispatcher would say.
ASK_MAX = 200
# How the words reach the seat: spoken on the phone line, or typed (a deaf caller's
# text, shown as caller-link chat).
CALLER_SAY_VIA = frozenset({"voice", "chat"})
# The scenario clock's speed, times real time: the console offers 1-10, headless runs go
# up to the runner's own limit (``dispatch120 sim serve --time-scale``).
TIME_SCALE_MIN = 0.1
TIME_SCALE_MAX = 10000
# What a trainer may inject; the runner knows how to play each (app.sim.control).
INJECT_KINDS = frozenset({"unit_breakdown", "hospital_diversion", "server_drop", "second_call"})


class CallerSay(Wire):
    """The simulated caller says something on a call, in both languages.

    ``question`` is the protocol question it answers (absent: something unprompted) and
    ``answer`` the answer key the words imply (absent: the caller does not know).
    """

    call_id: NameId
    zh: Str(CALLER_SAY_MAX)
    en: Str(CALLER_SAY_MAX)
    via: choice(CALLER_SAY_VIA)
    question: Opt(NameId) = UNSET
    answer: Opt(NameId) = UNSET


class Ask(Wire):
    """The trainee types a free question to the simulated caller of ``call_id`` (one line)."""

    call_id: NameId
    text: Str(ASK_MAX)


class Asked(Ask):
    """A typed question to the simulated caller, and the seat that asked it."""

    seat_id: NameId


class SetClock(Wire):
    """The scenario clock of training run ``run_id`` from now on: ``paused`` or running
    ``time_scale`` times faster than real time (a training database holds one run)."""

    run_id: NameId
    paused: bool
    time_scale: Num(TIME_SCALE_MIN, TIME_SCALE_MAX)


class Inject(Wire):
    """An injected event. ``target``: the unit that breaks down, the hospital that starts
    diverting, the call a second caller rings about (``second_call``: another caller at the same
    place; unused for ``server_drop``, which lasts 30 scenario seconds). ``says``: for
    ``second_call``, what that caller says once answered (absent: a scripted line)."""

    run_id: NameId
    kind: choice(INJECT_KINDS)
    target: Opt(NameId) = UNSET
    says: Opt(Str(CALLER_SAY_MAX)) = UNSET


COMMANDS: dict[str, type[Wire]] = {
    "training.caller_say": CallerSay,
    "training.ask": Ask,
    "training.set_clock": SetClock,
    "training.inject": Inject,
}
EVENTS: dict[str, type[Wire]] = {
    "training.caller_said": CallerSay,
    "training.asked": Asked,
    "training.clock_set": SetClock,
    "training.injected": Inject,
}
COMMAND_ROLES: dict[str, frozenset[Role]] = {
    # The simulated switch plays the caller; the trainer may take over the caller's voice.
    "training.caller_say": frozenset({Role.SWITCH, Role.TRAINER}),
    # The trainee questions the caller from the seat that answered the call.
    "training.ask": frozenset({Role.SEAT}),
    # The trainer runs the clock; the runner (as the switch) announces the clock it starts with.
    "training.set_clock": frozenset({Role.TRAINER, Role.SWITCH}),
    "training.inject": frozenset({Role.TRAINER}),
}
