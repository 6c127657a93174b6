/* Tee and PullTee (click.md 3.7). */
#include "elements/element.h"

const struct elem_class elem_tee = {
	.name = "Tee",
	.port_count = "1/1-",
	.processing = "h/h",
};

const struct elem_class elem_pulltee = {
	.name = "PullTee",
	.port_count = "1/1-",
	.processing = "l/lh",
};
