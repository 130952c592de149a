/* mtgt-backend-ram: see be_ram.c. */
#include "procs/backend-ram/be_ram.h"

int main(int argc, char **argv)
{
	return be_main(argc, argv, &be_ram_ops);
}
