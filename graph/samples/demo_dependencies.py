"""The demo portfolio's dependencies: the red strings of Meridian Bank's program board.

Every string points from a feature to one planned in the same or an earlier
PI, except for the two planted findings marked below; there is no cycle.
"""

from __future__ import annotations

# (A, B): A depends on B, B must be delivered first.
DEPENDENCIES: list[tuple[str, str]] = [
    # Instant payments: the program board's busiest strings.
    ("F-SEPA-API", "F-SEPA-ROUTING"),
    ("F-SEPA-INSTANT-POSTING", "F-SEPA-ROUTING"),
    ("F-SEPA-RECALL", "F-SEPA-INSTANT-POSTING"),
    ("F-SEPA-APP-UX", "F-SEPA-API"),
    ("F-SEPA-APP-UX", "F-SEPA-LIMITS"),  # planted: the limits slipped to PI 26.3
    ("F-SEPA-WEB-UX", "F-SEPA-API"),
    ("F-SEPA-FRAUD-SCORE-API", "F-SEPA-FRAUD-MODEL"),
    ("F-SEPA-FRAUD-SCORE-API", "F-SEPA-FRAUD-RULES"),
    ("F-SEPA-LIMITS", "F-SEPA-FRAUD-SCORE-API"),
    ("F-SEPA-API-STATUS", "F-SEPA-INSTANT-POSTING"),
    ("F-SEPA-APP-RECEIPTS", "F-SEPA-API-STATUS"),
    ("F-SEPA-REPORTING", "F-SEPA-INSTANT-POSTING"),
    # Open banking consent.
    ("F-OB-CONSENT-LIST", "F-OB-CONSENT-API"),
    ("F-OB-CONSENT-REVOKE", "F-OB-CONSENT-API"),
    ("F-OB-CONSENT-EVENTS", "F-OB-CONSENT-API"),
    ("F-OB-CONSENT-AGENT", "F-OB-CONSENT-EVENTS"),
    ("F-OB-CONSENT-HISTORY", "F-OB-CONSENT-RECORDS"),
    ("F-OB-TPP-REGISTRY", "F-API-GW-PILOT"),
    # Cards.
    ("F-CARD-CONTROLS-API", "F-CARD-FREEZE-API"),
    ("F-CARD-FREEZE-APP", "F-CARD-CONTROLS-API"),
    ("F-CARD-LIMITS-APP", "F-CARD-CONTROLS-API"),
    ("F-CARD-LIMITS-APP", "F-CARD-MCC-BLOCK"),
    # Onboarding.
    ("F-ONB-ID-SCAN", "F-ONB-FRAUD-SCORE"),
    ("F-ONB-AGENT-ASSIST", "F-ONB-KYC-DATA"),
    ("F-ONB-EIDAS", "F-ONB-ID-SCAN"),
    ("F-ONB-INSTANT-IBAN", "F-ONB-SANCTIONS"),
    ("F-ONB-JOINT", "F-ONB-EIDAS"),
    ("F-ONB-BUSINESS", "F-C360-SME"),
    ("F-MORTGAGE-AVM", "F-MORTGAGE-AIP"),
    # Customer 360 and personalisation.
    ("F-LZ-DATA-LAKE", "F-LZ-NETWORK"),
    ("F-C360-INGEST", "F-LZ-DATA-LAKE"),
    ("F-C360-GOLDEN-RECORD", "F-C360-INGEST"),
    ("F-C360-AGENT-VIEW", "F-C360-GOLDEN-RECORD"),
    ("F-CRM-CONNECTOR", "F-C360-STREAMING"),
    ("F-C360-INTERACTIONS", "F-CRM-CONNECTOR"),
    ("F-C360-API", "F-C360-ACCESS"),
    ("F-C360-API", "F-C360-PRODUCT-HOLDINGS"),
    ("F-NBO-RANKER", "F-NBO-PROPENSITY"),
    ("F-NBO-RANKER", "F-NBO-FEATURE-STORE"),
    ("F-NBO-CONTACT-POLICY", "F-C360-SEGMENTS"),
    ("F-NBO-INAPP-CARDS", "F-NBO-RANKER"),
    ("F-NBO-INAPP-CARDS", "F-CONSENT-MARKETING"),  # planted: nobody has planned it
    ("F-NBO-FEEDBACK", "F-NBO-INAPP-CARDS"),
    # Conversational assistant.
    ("F-CHAT-KNOWLEDGE", "F-C360-API"),
    ("F-CHAT-INTENTS", "F-CHAT-KNOWLEDGE"),
    ("F-CHAT-HANDOVER", "F-C360-INTERACTIONS"),
    ("F-CHAT-APP-ENTRY", "F-CHAT-INTENTS"),
    # Fraud.
    ("F-FRAUD-MODEL-SERVE", "F-FRAUD-FEATURE-STREAM"),
    ("F-FRAUD-MULE", "F-FRAUD-MODEL-SERVE"),
    ("F-FRAUD-CUSTOMER-ALERT", "F-PUSH-APPROVAL"),
    ("F-FRAUD-REPORTING", "F-FRAUD-CASES"),
    # Resilience and compliance.
    ("F-HA-SESSION-REPL", "F-HA-ARCH-RUNWAY"),
    ("F-HA-ACTIVE-ACTIVE", "F-HA-SESSION-REPL"),
    ("F-HA-CHAOS", "F-HA-ACTIVE-ACTIVE"),
    ("F-DORA-REPORT-GEN", "F-DORA-INCIDENT-DB"),
    ("F-DORA-REPORT-GEN", "F-DORA-TAXONOMY"),
    ("F-DORA-REGISTER-EXPORT", "F-DORA-REGISTER"),
    ("F-DORA-LOG-PIPELINE", "F-DORA-INCIDENT-DB"),
    ("F-API-GW-MIGRATE", "F-API-GW-PILOT"),
    ("F-SCA-APP2APP", "F-MOBILE-DEVICE-BIND"),
    ("F-SMS-FALLBACK-OFF", "F-SMS-PASSKEYS"),
    ("F-SMS-FALLBACK-OFF", "F-PUSH-APPROVAL"),
    # Request to Pay.
    ("F-RTP-API", "F-RTP-SCHEME"),
    ("F-RTP-ENGINE", "F-RTP-SCHEME"),
    ("F-RTP-WEB-INBOX", "F-RTP-API"),
    ("F-RTP-APP-PAY", "F-RTP-API"),
    ("F-RTP-WEB-CREATE", "F-RTP-ENGINE"),
    ("F-HUB-RECON", "F-HUB-PACS008"),
]
