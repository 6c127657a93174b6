/* Private to src/api. */
#ifndef INNET_API_INTERNAL_H
#define INNET_API_INTERNAL_H

#include "api/api.h"

typedef void api__route_fn(void *ud, const char *method, const char *pattern);
/* Each registered route, in registration order. */
void api__each_route(const struct api *api, api__route_fn *fn, void *ud);

#endif
