/*
 * Fails one chosen fsync/fdatasync of the process it is preloaded into [D4], through libfiu:
 * loaded after fiu-run's preload libraries, it registers an external failure point on
 * the posix/io/sync failure points, so libfiu asks it on every fsync and fdatasync (any thread).
 *
 * Armed from outside: when the file $NTH_FSYNC_ARM exists and holds N, it is read and removed,
 * and the N-th sync call from then on fails with EIO (only that one). Then the file
 * $NTH_FSYNC_FIRED is written with the call's failure point name, so the test knows it happened.
 * Built by the test with `cc -shared -fPIC` (no libfiu headers needed: the two prototypes are
 * declared here as in fiu-control.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef int external_cb_t(const char *name, int *failnum, void **failinfo, unsigned int *flags);
int fiu_init(unsigned int flags);
int fiu_enable_external(const char *name, int failnum, void *failinfo, unsigned int flags,
                        external_cb_t *external_cb);

static const char *arm_file;
static const char *fired_file;
static long countdown; /* 0: not armed */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int decide(const char *name, int *failnum, void **failinfo, unsigned int *flags) {
  (void)failnum;
  (void)failinfo;
  (void)flags;
  int fail = 0;
  pthread_mutex_lock(&lock);
  if (countdown == 0) {
    FILE *f = fopen(arm_file, "r");
    if (f != NULL) {
      long n = 0;
      if (fscanf(f, "%ld", &n) == 1 && n > 0) countdown = n;
      fclose(f);
      unlink(arm_file);
    }
  }
  if (countdown > 0 && --countdown == 0) {
    fail = 1;
    FILE *g = fopen(fired_file, "w");
    if (g != NULL) {
      fprintf(g, "%s\n", name);
      fclose(g);
    }
  }
  pthread_mutex_unlock(&lock);
  return fail;
}

__attribute__((constructor)) static void arm(void) {
  arm_file = getenv("NTH_FSYNC_ARM");
  fired_file = getenv("NTH_FSYNC_FIRED");
  if (arm_file == NULL || fired_file == NULL) return;
  fiu_init(0);
  fiu_enable_external("posix/io/sync/*", -1, (void *)(long)EIO, 0, decide);
}
