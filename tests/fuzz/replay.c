/* SPDX-License-Identifier: ISC */
/*
 * replay.c: run a fuzz harness over files, without libFuzzer, so that the
 * seed corpora are replayed in `make check` (tor fuzz_static_testcases).
 * With no arguments it replays FUZZ_CORPUS; otherwise every file or
 * directory named.  Any crash, sanitizer report or leak fails the test.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
		perror(path);
		return 1;
	}
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		perror(path);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int
replay(const char *path, int *n)
{
	struct stat st;
	struct dirent *de;
	char sub[4096];
	DIR *d;
	int bad = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*n)++;
		return replay_file(path);
	}
	if ((d = opendir(path)) == NULL)
		return 1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		bad |= replay(sub, n);
	}
	closedir(d);
	return bad;
}

int
main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2)
		bad = replay(FUZZ_CORPUS, &n);
	for (i = 1; i < argc; i++)
		bad |= replay(argv[i], &n);
	printf("replayed %d inputs\n", n);
	return bad || n == 0;
}
