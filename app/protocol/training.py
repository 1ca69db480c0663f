"""Wire tables of training: what a simulated caller says to the trainee.

In a training centre the simulated phone switch plays the caller. When the trainee
answers a questionnaire step (``triage.answered``) the switch replies with the caller's
scripted words for that question, after a speaking delay, as ``training.caller_say``;
the server records it as ``training.caller_said`` and every seat sees it on the call.
Only a training centre accepts it (the domain refuses it where no trainer is
registered), so scripted words never enter a real centre's record.

Imports only ``app.protocol.schema`` and ``app.protocol.vocabulary`` (see ``app.protocol.features``).
"""

from app.protocol.schema import UNSET, NameId, Opt, Str, Wire, choice
from app.protocol.vocabulary import Role

CALLER_SAY_MAX = 500
# How the words reach the seat: spoken on the phone line, or typed (a deaf caller's
# text, shown as caller-link chat).
CALLER_SAY_VIA = frozenset({"voice", "chat"})


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


COMMANDS: dict[str, type[Wire]] = {"training.caller_say": CallerSay}
EVENTS: dict[str, type[Wire]] = {"training.caller_said": CallerSay}
COMMAND_ROLES: dict[str, frozenset[Role]] = {"training.caller_say": frozenset({Role.SWITCH})}
