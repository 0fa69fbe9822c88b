# Vietnamese administrative practice writes dates as dd/mm/yyyy.
from partnerships.formats import DAY, DAY_TEMPLATE

DATE_FORMAT = DAY_TEMPLATE
SHORT_DATE_FORMAT = DAY_TEMPLATE
DATETIME_FORMAT = f"H:i {DAY_TEMPLATE}"
SHORT_DATETIME_FORMAT = f"H:i {DAY_TEMPLATE}"
DATE_INPUT_FORMATS = [DAY, "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [f"{DAY} %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 1
