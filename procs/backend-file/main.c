/* mtgt-backend-file: see be_file.c. */
#include "procs/backend-file/be_file.h"

int main(int argc, char **argv)
{
	return be_main(argc, argv, &be_file_ops);
}
