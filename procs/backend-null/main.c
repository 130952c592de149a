/* mtgt-backend-null: see be_null.c. */
#include "procs/backend-null/be_null.h"

int main(int argc, char **argv)
{
	return be_main(argc, argv, &be_null_ops);
}
