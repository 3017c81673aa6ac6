"""A bilateral agreement and a complete preservation request, shared by the request tests."""

AGREEMENT = """
id = "fr-ng"
[parties.cert-fr]
name = "CERT-FR"
timezone = "Europe/Paris"
working_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
working_hours = ["00:00-24:00"]
[parties.efcc-ng]
name = "EFCC"
timezone = "Africa/Lagos"
working_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
working_hours = ["00:00-24:00"]
[deadlines]
acknowledgement = "2 hours"
[deadlines.response.preservation]
normal = "48 hours"
[deadlines.response.information]
normal = "240 hours"
[preservation]
period = "90 days"
[escalation]
ladder = [{ role = "case_officer", after = "0 hours" }, { role = "hotline", after = "1 days" }]
"""

PRESERVATION = {
    "request_type": "preservation",
    "urgency": "normal",
    "legal_basis": {"kind": "treaty", "instrument": "Budapest Convention", "article": "29"},
    "requesting_authority": "CERT-FR on behalf of the Paris prosecutor",
    "offence": "Illegal access (Art. 2), computer-related fraud (Art. 8)",
    "summary_of_facts": "A phishing kit hosted in Lagos harvested bank credentials of 4,000 customers.",
    "data": [
        {"kind": "ip", "value": "203.0.113.5", "timestamp": "2026-11-28T10:15:00+01:00"},
        {"kind": "domain", "value": "secure-banque.example"},
    ],
    "relationship_to_offence": "The server hosted the phishing kit and received the stolen credentials.",
    "custodian": "Example Hosting Ltd, Lagos",
    "necessity": "Logs are kept for 30 days only.",
    "formal_request_to_follow": True,
}
