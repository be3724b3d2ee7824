"""onduty's themes: Textual ``Theme`` objects carrying the console's own variables.

The .tcss files beside this module use ``$probe-healthy``, ``$probe-down``,
``$sev-critical``... so a theme decides what "down" looks like everywhere at once.
"""

from __future__ import annotations

from pathlib import Path

from textual.theme import Theme

STYLESHEET = Path(__file__).with_name("app.tcss")
DEFAULT_THEME = "onduty-dark"

THEMES: tuple[Theme, ...] = (
    Theme(
        name="onduty-dark",
        primary="#4EA1FF",
        secondary="#8C7CFF",
        accent="#FFB347",
        foreground="#D8DEE9",
        background="#11151C",
        surface="#1A2029",
        panel="#232B36",
        success="#4CC38A",
        warning="#F2C14E",
        error="#F2545B",
        dark=True,
        variables={
            "probe-healthy": "#4CC38A",
            "probe-degraded": "#F2C14E",
            "probe-down": "#F2545B",
            "probe-unknown": "#8A93A3",
            "sev-critical": "#F2545B",
            "footer-env": "#4EA1FF",
        },
    ),
    Theme(
        name="onduty-light",
        primary="#0B62C4",
        secondary="#5B46D6",
        accent="#B85C00",
        foreground="#1D232B",
        background="#F7F8FA",
        surface="#FFFFFF",
        panel="#E6EAF0",
        success="#17803D",
        warning="#8F6A00",
        error="#C4162A",
        dark=False,
        variables={
            "probe-healthy": "#17803D",
            "probe-degraded": "#8F6A00",
            "probe-down": "#C4162A",
            "probe-unknown": "#5E6673",
            "sev-critical": "#C4162A",
            "footer-env": "#0B62C4",
        },
    ),
    Theme(
        name="onduty-high-contrast",
        primary="#FFFF00",
        secondary="#00FFFF",
        accent="#FF00FF",
        foreground="#FFFFFF",
        background="#000000",
        surface="#000000",
        panel="#000000",
        success="#00FF00",
        warning="#FFFF00",
        error="#FF3030",
        dark=True,
        luminosity_spread=0.0,
        variables={
            "probe-healthy": "#00FF00",
            "probe-degraded": "#FFFF00",
            "probe-down": "#FF3030",
            "probe-unknown": "#FFFFFF",
            "sev-critical": "#FF3030",
            "footer-env": "#FFFF00",
        },
    ),
)
