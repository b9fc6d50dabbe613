"""The demo portfolio's strategy, organisation and epics, as tables.

Meridian Bank, a fictional mid-size European retail bank, plans 2026 in four
PIs on three Agile Release Trains. `demo.py` turns these rows into the
contract's document; `demo_features.py` holds the features and
`demo_dependencies.py` their dependencies.
"""

from __future__ import annotations

# id, name, description
THEMES: list[tuple[str, str, str]] = [
    ("TH-DIGITAL", "Digital-first customer journeys",
     "Every everyday need can be met in the app or web bank, end to end, without a branch "
     "visit or a phone call."),
    ("TH-PAYMENTS", "Real-time payments everywhere",
     "Money moves in seconds, at any hour, for retail and small-business customers, with "
     "fraud controls that keep pace."),
    ("TH-RESILIENCE", "Operational resilience and regulatory confidence",
     "Critical services survive any single failure, and DORA and PSD2 duties are met by "
     "design rather than by manual effort."),
    ("TH-DATA", "Data-driven personalisation",
     "A trusted customer data foundation lets us offer the right product at the right "
     "moment, and only with consent."),
]

# id, title, themes
OBJECTIVES: list[tuple[str, str, tuple[str, ...]]] = [
    ("O-SELFSERVE", "Customers solve most requests without calling us", ("TH-DIGITAL",)),
    ("O-ONBOARD", "Open an account in minutes, fully digitally", ("TH-DIGITAL",)),
    ("O-INSTANT", "Instant payments become the default way to pay", ("TH-PAYMENTS",)),
    ("O-UPTIME", "Core services stay available through any single failure", ("TH-RESILIENCE",)),
    ("O-COMPLY", "Meet DORA and PSD2 obligations without manual effort", ("TH-RESILIENCE",)),
    ("O-PERSONAL", "Relevant offers, and fewer irrelevant ones", ("TH-DATA", "TH-DIGITAL")),
]

# id, objective, title, baseline, target, current, unit
KEY_RESULTS: list[tuple[str, str, str, float, float, float, str]] = [
    ("KR-SELFSERVE-RATE", "O-SELFSERVE", "Self-service resolution rate", 35, 60, 44, "%"),
    ("KR-CALL-VOLUME", "O-SELFSERVE", "Monthly calls to the contact centre",
     410_000, 300_000, 372_000, "calls"),
    ("KR-ONBOARD-TIME", "O-ONBOARD", "Median time to open a current account",
     2880, 10, 45, "minutes"),
    ("KR-ONBOARD-DROPOFF", "O-ONBOARD", "Application drop-off rate", 48, 25, 39, "%"),
    ("KR-DIGITAL-ACQ", "O-ONBOARD", "New accounts opened digitally", 22, 70, 41, "%"),
    ("KR-INSTANT-SHARE", "O-INSTANT", "Credit transfers sent as instant payments",
     4, 50, 18, "%"),
    ("KR-INSTANT-LATENCY", "O-INSTANT", "95th percentile instant payment end-to-end time",
     9, 3, 5.5, "s"),
    ("KR-FRAUD-LOSS", "O-INSTANT", "Fraud losses per million euros of instant payments",
     42, 20, 37, "EUR"),
    ("KR-AVAILABILITY", "O-UPTIME", "Availability of payment and login services",
     99.5, 99.95, 99.8, "%"),
    ("KR-MTTR", "O-UPTIME", "Mean time to restore a critical service", 95, 30, 58, "minutes"),
    ("KR-DORA-REPORT", "O-COMPLY", "Major ICT incidents reported within four hours",
     40, 100, 70, "%"),
    ("KR-MANUAL-CONTROLS", "O-COMPLY", "Compliance controls still evidenced by hand",
     120, 30, 84, "controls"),
    ("KR-OFFER-CTR", "O-PERSONAL", "Click-through rate on in-app offers", 1.2, 4, 2.1, "%"),
    ("KR-OPT-OUT", "O-PERSONAL", "Customers opting out of marketing", 18, 10, 16, "%"),
    ("KR-DATA-PRODUCTS", "O-PERSONAL", "Certified data products in use", 0, 12, 5, "products"),
]

# id, name, budget (EUR per year)
VALUE_STREAMS: list[tuple[str, str, int]] = [
    ("VS-RETAIL", "Retail customer banking", 6_800_000),
    ("VS-PAYMENTS", "Payments and transaction services", 7_800_000),
]

# id, name, value stream
ARTS: list[tuple[str, str, str]] = [
    ("ART-CHANNELS", "Digital Channels", "VS-RETAIL"),
    ("ART-PAYMENTS", "Payments Platform", "VS-PAYMENTS"),
    ("ART-DATA", "Data & Insights", "VS-RETAIL"),
]

# id, name, ART, capacity in points for PI 26.1 .. 26.4
TEAMS: list[tuple[str, str, str, tuple[int, int, int, int]]] = [
    ("T-ORBIT", "Orbit", "ART-CHANNELS", (40, 42, 42, 40)),        # mobile app
    ("T-KESTREL", "Kestrel", "ART-CHANNELS", (38, 38, 40, 40)),    # web banking
    ("T-NIMBUS", "Nimbus", "ART-CHANNELS", (40, 40, 40, 40)),      # onboarding and identity
    ("T-HARBOR", "Harbor", "ART-CHANNELS", (36, 36, 38, 38)),      # service and contact centre
    ("T-LEDGER", "Ledger", "ART-PAYMENTS", (44, 44, 44, 42)),      # payment engine
    ("T-FALCON", "Falcon", "ART-PAYMENTS", (40, 40, 40, 40)),      # fraud and card risk
    ("T-ANVIL", "Anvil", "ART-PAYMENTS", (34, 30, 34, 34)),        # resilience, on call too
    ("T-RELAY", "Relay", "ART-PAYMENTS", (38, 38, 38, 38)),        # APIs and open banking
    ("T-PRISM", "Prism", "ART-DATA", (40, 40, 40, 40)),            # data platform
    ("T-ATLAS", "Atlas", "ART-DATA", (38, 38, 38, 38)),            # customer 360
    ("T-BEACON", "Beacon", "ART-DATA", (36, 36, 36, 36)),          # machine learning
    ("T-COMPASS", "Compass", "ART-DATA", (36, 36, 36, 36)),        # regulatory reporting
]

# id, name, start, end: ten weeks each (five iterations, the last one the IP iteration)
PIS: list[tuple[str, str, str, str]] = [
    ("PI-26-1", "PI 26.1", "2026-01-05", "2026-03-13"),
    ("PI-26-2", "PI 26.2", "2026-04-06", "2026-06-12"),
    ("PI-26-3", "PI 26.3", "2026-07-06", "2026-09-11"),
    ("PI-26-4", "PI 26.4", "2026-10-05", "2026-12-11"),
]

B, EN = "BUSINESS", "ENABLER"

# WSJF inputs as "userBusinessValue timeCriticality riskReduction jobSize", or None.
# id, name, type, state, horizon, estimated cost, approved, business owner, value stream,
# themes, key results, WSJF
EpicRow = tuple[str, str, str, str, str, int, bool, str | None, str,
                tuple[str, ...], tuple[str, ...], str | None]

EPICS: list[EpicRow] = [
    # Implementing: eight, exactly at the WIP limit.
    ("E-SEPA-INST", "Instant payments via SEPA Inst", B, "IMPLEMENTING", "H1", 1_800_000, True,
     "Marta Kowalczyk", "VS-PAYMENTS", ("TH-PAYMENTS",), ("KR-INSTANT-SHARE",
     "KR-INSTANT-LATENCY"), "20 20 8 13"),
    ("E-OB-CONSENT", "Open banking consent dashboard", B, "IMPLEMENTING", "H1", 650_000, True,
     "Daniel Osei", "VS-RETAIL", ("TH-DIGITAL",), ("KR-SELFSERVE-RATE",), "8 13 5 5"),
    ("E-DIGITAL-ONBOARD", "Fully digital account opening", B, "IMPLEMENTING", "H1", 1_450_000,
     True, "Sofia Lindqvist", "VS-RETAIL", (), ("KR-ONBOARD-TIME", "KR-ONBOARD-DROPOFF",
     "KR-DIGITAL-ACQ"), "20 8 5 13"),
    ("E-CORE-HA", "Active-active core banking gateway", EN, "IMPLEMENTING", "H1", 1_200_000,
     True, "Henrik Bauer", "VS-PAYMENTS", ("TH-RESILIENCE",), ("KR-AVAILABILITY", "KR-MTTR"),
     "5 8 20 13"),
    ("E-DORA-REPORTING", "DORA incident and third-party reporting", EN, "IMPLEMENTING", "H1",
     480_000, True, "Amira Haddad", "VS-PAYMENTS", ("TH-RESILIENCE",), ("KR-DORA-REPORT",
     "KR-MANUAL-CONTROLS"), "3 20 13 8"),
    ("E-CUSTOMER-360", "Customer 360 data product", EN, "IMPLEMENTING", "H1", 1_100_000, True,
     "Lukas Meyer", "VS-RETAIL", ("TH-DATA",), ("KR-DATA-PRODUCTS", "KR-SELFSERVE-RATE"),
     "5 5 13 13"),
    ("E-NEXT-BEST-OFFER", "Next-best offer in the mobile app", B, "IMPLEMENTING", "H2",
     900_000, True, "Claire Dubois", "VS-RETAIL", ("TH-DATA",), ("KR-OFFER-CTR", "KR-OPT-OUT"),
     "13 5 5 8"),
    ("E-CARD-CONTROLS", "Card controls and instant freeze", B, "IMPLEMENTING", "H1", 420_000,
     True, "Tomasz Nowak", "VS-PAYMENTS", ("TH-DIGITAL",), ("KR-CALL-VOLUME",), "13 8 8 5"),
    # Portfolio backlog: approved for implementation, waiting for capacity.
    ("E-REQUEST-TO-PAY", "Request to Pay for small businesses", B, "PORTFOLIO_BACKLOG", "H2",
     1_250_000, False, "Marta Kowalczyk", "VS-PAYMENTS", ("TH-PAYMENTS",),
     ("KR-INSTANT-SHARE",), "13 8 8 13"),
    ("E-API-GATEWAY-V2", "API gateway consolidation", EN, "PORTFOLIO_BACKLOG", "H1", 750_000,
     True, "Henrik Bauer", "VS-PAYMENTS", ("TH-RESILIENCE",), ("KR-AVAILABILITY",), "3 5 13 8"),
    ("E-CHAT-ASSIST", "Conversational self-service assistant", B, "PORTFOLIO_BACKLOG", "H2",
     880_000, True, None, "VS-RETAIL", ("TH-DIGITAL",), ("KR-SELFSERVE-RATE", "KR-CALL-VOLUME"),
     "13 5 3 13"),
    ("E-FRAUD-ML", "Real-time fraud scoring for instant payments", B, "PORTFOLIO_BACKLOG", "H1",
     1_300_000, True, "Ines Carvalho", "VS-PAYMENTS", ("TH-PAYMENTS",), ("KR-FRAUD-LOSS",),
     "13 13 13 13"),
    ("E-LEGACY-SMS", "Retire SMS one-time passwords", EN, "PORTFOLIO_BACKLOG", "H0", 300_000,
     True, "Sofia Lindqvist", "VS-RETAIL", ("TH-RESILIENCE",), ("KR-FRAUD-LOSS",), "2 8 8 5"),
    ("E-ACCESSIBILITY", "European Accessibility Act compliance", EN, "PORTFOLIO_BACKLOG", "H1",
     350_000, True, "Daniel Osei", "VS-RETAIL", ("TH-DIGITAL",), ("KR-DIGITAL-ACQ",),
     "5 13 8 5"),
    # Done in PI 26.1 or before.
    ("E-MOBILE-LOGIN", "Biometric login for the mobile app", B, "DONE", "H1", 600_000, True,
     "Claire Dubois", "VS-RETAIL", ("TH-DIGITAL",), ("KR-SELFSERVE-RATE",), "13 8 5 8"),
    ("E-PSD2-SCA", "PSD2 strong customer authentication refresh", EN, "DONE", "H1", 520_000,
     True, "Amira Haddad", "VS-PAYMENTS", ("TH-RESILIENCE",), (), "5 13 13 8"),
    ("E-CLOUD-LANDING", "Cloud landing zone", EN, "DONE", "H1", 1_400_000, True,
     "Henrik Bauer", "VS-RETAIL", ("TH-RESILIENCE", "TH-DATA"), ("KR-AVAILABILITY",),
     "3 5 20 20"),
    ("E-EBANKING-SUNSET", "Sunset the legacy e-banking portal", EN, "DONE", "H0", 380_000,
     True, "Daniel Osei", "VS-RETAIL", ("TH-DIGITAL",), (), "3 8 13 5"),
    ("E-PAYMENT-HUB", "ISO 20022 payment hub migration", EN, "DONE", "H1", 2_100_000, True,
     "Marta Kowalczyk", "VS-PAYMENTS", ("TH-PAYMENTS", "TH-RESILIENCE"), (), "8 20 13 20"),
    # Analyzing: lean business cases in progress, before the go / no-go decision.
    ("E-MORTGAGE-DIGITAL", "Digital mortgage pre-approval", B, "ANALYZING", "H2", 2_400_000,
     False, "Claire Dubois", "VS-RETAIL", ("TH-DIGITAL",), ("KR-DIGITAL-ACQ",), "13 5 3 20"),
    ("E-OPEN-FINANCE", "Open finance data sharing (FiDA)", B, "ANALYZING", "H3", 600_000, False,
     "Daniel Osei", "VS-RETAIL", ("TH-DATA",), (), "5 3 8 13"),
    ("E-OBSERVABILITY", "Unified observability platform", EN, "ANALYZING", "H1", 700_000,
     False, "Henrik Bauer", "VS-PAYMENTS", ("TH-RESILIENCE",), ("KR-MTTR",), "3 5 13 8"),
    ("E-GREEN-INSIGHTS", "Carbon footprint insights for card spending", B, "ANALYZING", "H3",
     260_000, False, "Ines Carvalho", "VS-RETAIL", ("TH-DATA",), ("KR-OFFER-CTR",), "5 2 2 5"),
    # Reviewing.
    ("E-BNPL", "Buy now, pay later at checkout", B, "REVIEWING", "H2", 1_600_000, False,
     "Tomasz Nowak", "VS-PAYMENTS", ("TH-PAYMENTS",), (), "13 8 3 20"),
    ("E-VOICE-BANKING", "Voice banking on smart assistants", B, "REVIEWING", "H3", 450_000,
     False, "Claire Dubois", "VS-RETAIL", ("TH-DIGITAL",), (), "3 2 2 8"),
    ("E-PERPETUAL-KYC", "Perpetual KYC", EN, "REVIEWING", "H1", 950_000, False,
     "Amira Haddad", "VS-RETAIL", ("TH-RESILIENCE",), ("KR-MANUAL-CONTROLS",), "5 8 13 13"),
    ("E-DATA-MESH", "Self-serve data platform", EN, "REVIEWING", "H2", 1_200_000, False,
     "Lukas Meyer", "VS-RETAIL", ("TH-DATA",), ("KR-DATA-PRODUCTS",), "3 3 13 13"),
    # Funnel: ideas, not yet sized or owned.
    ("E-DIGITAL-ASSETS", "Digital asset custody", B, "FUNNEL", "H3", 3_000_000, False, None,
     "VS-PAYMENTS", ("TH-PAYMENTS",), (), None),
    ("E-GENAI-AGENT", "Generative AI copilot for contact-centre agents", B, "FUNNEL", "H3",
     500_000, False, None, "VS-RETAIL", ("TH-DIGITAL",), ("KR-CALL-VOLUME",), None),
    ("E-SME-CASHFLOW", "Cash-flow forecasting for small businesses", B, "FUNNEL", "H2",
     700_000, False, "Tomasz Nowak", "VS-RETAIL", ("TH-DATA",), (), "8 3 3 13"),
    ("E-PQC", "Post-quantum cryptography readiness", EN, "FUNNEL", "H3", 900_000, False, None,
     "VS-PAYMENTS", ("TH-RESILIENCE",), (), None),
]
