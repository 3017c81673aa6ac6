"""Words for the request states and actions, marked for translation (translated when shown)."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op marker
    return message


STATE_LABELS = {
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "acknowledged": N_("acknowledged"),
    "needs-information": N_("needs information"),
    "in-progress": N_("in progress"),
    "fulfilled": N_("fulfilled"),
    "partially-fulfilled": N_("partially fulfilled"),
    "refused": N_("refused"),
    "postponed": N_("postponed"),
    "withdrawn": N_("withdrawn"),
    "expired": N_("expired"),
    "preserved": N_("preserved"),
    "awaiting-formal-request": N_("awaiting formal request"),
    "disclosed": N_("disclosed"),
}

ACTION_LABELS = {
    "submit": N_("Submit"),
    "ack": N_("Acknowledge"),
    "need-info": N_("Ask for information"),
    "provide-info": N_("Provide information"),
    "start": N_("Start work"),
    "respond": N_("Respond"),
    "refuse": N_("Refuse"),
    "postpone": N_("Postpone"),
    "withdraw": N_("Withdraw"),
    "preserve": N_("Preserve data"),
    "renew": N_("Renew preservation"),
    "await-formal": N_("Await formal request"),
    "disclose": N_("Disclose"),
    "expire": N_("Mark expired"),
}

REQUEST_TYPE_LABELS = {
    "preservation": N_("preservation of stored data"),
    "traffic_data": N_("traffic data"),
    "stored_data": N_("stored data"),
    "subscriber_information": N_("subscriber information"),
    "domain_registration": N_("domain registration data"),
    "emergency_disclosure": N_("emergency disclosure"),
    "takedown": N_("takedown"),
    "information": N_("information"),
}

URGENCY_LABELS = {"normal": N_("normal"), "urgent": N_("urgent"), "risk_to_life": N_("risk to life")}

LEGAL_BASIS_LABELS = {
    "treaty": N_("treaty"),
    "bilateral": N_("bilateral agreement"),
    "voluntary": N_("voluntary"),
}

# Budapest Convention, Art. 29(2): what a preservation request must specify.
ARTICLE_29_2_LABELS = {
    "requesting_authority": N_("(a) the authority seeking the preservation"),
    "offence": N_("(b) the offence under investigation"),
    "relationship_to_offence": N_("(c) the data's relationship to the offence"),
    "custodian": N_("(d) the custodian of the data or the location of the computer system"),
    "necessity": N_("(e) the necessity of the preservation"),
}

SWEEP_STAGES = {
    "queued": N_("waiting to start"),
    "indicators": N_("reading the collection's indicators"),
    "sweeping": N_("sweeping the log"),
    "done": N_("finished"),
    "failed": N_("failed"),
}
