"""One way to write a moment in English on every page: "7 Dec 2026 05:59", never "12/07/2026"
(which reads as 12 July in most of the world) nor "a.m." (Django's defaults, several of them)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
