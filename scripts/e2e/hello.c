#include <stdio.h>

int main(int argc, char **argv)
{
	printf("Hello, %s! (%d arguments)\n", argc > 1 ? argv[1] : "world", argc - 1);
	return 0;
}
