"""The founding licence terms' words (migration 0008), marked so that the catalogues translate them.

Terms are data: each version is stored as an admin wrote it, and a licence keeps the version it
was sold under. Shown to people, a text that is exactly the founding words (a summary, a
permission, a paragraph of the full terms) is said in the reader's language; a version an admin
writes later is shown as written until the co-op translates it too.
"""

from __future__ import annotations

from marketplace.i18n.markers import N_

FOUNDING_WORDS = (
    N_(
        "For most uses: royalty-free, for ever, anywhere, unlimited online use and up to "
        "500,000 printed copies, for one person."
    ),
    N_(
        "For big print runs, teams and goods for sale: everything in standard, plus unlimited "
        "print, many seats, products for resale and an optional market freeze."
    ),
    N_("Royalty-free: pay once, no further fees however often you use it"),
    N_("Perpetual: the licence never expires"),
    N_("Worldwide"),
    N_(
        "Unlimited digital use: websites, apps, social media, e-books, video and advertising online"
    ),
    N_("Up to 500,000 printed copies in total"),
    N_("One seat: one person, or one named user at your organisation, works with the file"),
    N_("Everything the standard licence allows"),
    N_("Unlimited printed copies"),
    N_("Multi-seat: anyone at your organisation may work with the file"),
    N_("Products for resale: templates, merchandise, prints and other goods you sell"),
    N_("Optional market freeze: ask us to stop selling the work in your market for an agreed time"),
    N_(
        "1. What you get. The co-op grants you, the licence holder, a non-exclusive, "
        "royalty-free, perpetual and worldwide licence to use the licensed photo or video at "
        "the size you bought."
    ),
    N_(
        "2. Digital use. You may use the work without limit in digital media: websites, apps, "
        "social media, e-books, presentations, online advertising, film, television and "
        "streaming."
    ),
    N_(
        "3. Print. You may reproduce the work in print up to 500,000 copies in total, across "
        "every project made under this licence."
    ),
    N_(
        "4. One seat. One person may download and work with the file. Colleagues may see the "
        "finished work, but not receive the file itself."
    ),
    N_(
        "5. Not allowed. You may not resell, share or give away the file itself; use it in "
        "goods made for resale where the work is the main value (prints, posters, t-shirts, "
        "templates); use it in a trademark or logo; or show recognisable people in a way they "
        "would find offensive (for example suggesting a health condition) without saying it is "
        "a model posing."
    ),
    N_('6. Credit. Credit is welcome but not required: "Photographer name / Co-op Stock".'),
    N_("7. The contributor keeps the copyright. Half of what you pay goes to them as a royalty."),
    N_("1. Everything in the standard licence applies, and this licence adds the rights below."),
    N_("2. Unlimited print. No limit on the number of printed copies."),
    N_("3. Multi-seat. Anyone employed by your organisation may download and work with the file."),
    N_(
        "4. Products for resale. You may use the work in goods you sell, such as prints, "
        "posters, cards, t-shirts, templates and other merchandise, where the work is part of "
        "what the buyer pays for."
    ),
    N_(
        "5. Market freeze (optional). On request, and for an agreed fee and period, the co-op "
        "stops licensing the work to others in the industry or region you name. Ask us before "
        "you rely on it."
    ),
    N_(
        "6. The contributor keeps the copyright. Three quarters of what you pay goes to them as"
        " a royalty."
    ),
)
