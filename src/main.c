#include <stdio.h>

int main(void)
{
	printf("innetd %s\n", INNET_VERSION);
	return 0;
}
