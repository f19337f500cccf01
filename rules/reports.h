/* blockrules reports: signed reports from many ISPs verified against their keys and aggregated. */
#ifndef BLOCKD_REPORTS_H
#define BLOCKD_REPORTS_H

/*
 * reports_main(): the command, argv[0] being "reports" (see blockrules(1)).
 * Returns an exit status (exitcode.h): 0 every report verified and read, 4
 * some refused (each named with its reason on standard error and in the
 * output), 1 none left, 2 wrong usage, 3 a file could not be written.
 */
int reports_main(int argc, char **argv);

#endif
