/* The backends' sandbox (be_sandbox.c). */
#ifndef MTGT_BE_SANDBOX_H
#define MTGT_BE_SANDBOX_H
struct be;
void be_sandbox_enter(struct be *b);
#endif
