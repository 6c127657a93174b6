/* IPOutputCombo (click.md 3.3). */
#include "elements/element.h"

const struct elem_class elem_ipoutputcombo = {
	.name = "IPOutputCombo",
	.port_count = "1/5",
	.processing = "h/h",
};
