"""One way to write a moment in Russian on every page: the day, the month in words (genitive)
and the year, then the clock, as "7 декабря 2026 05:59" (Django's own defaults mix "07.12.2026" and
the long form with the year's abbreviation)."""

DATE_FORMAT = "j E Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j E Y H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
