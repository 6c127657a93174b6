/* Classifier (click.md 3.2, Part 5): byte-pattern classification. */
#include "elements/element.h"

const struct elem_class elem_classifier = {
	.name = "Classifier",
	.port_count = "1/-",
	.processing = "h/h",
};
