/* SPDX-License-Identifier: ISC */
/* placeholder: replaced by the daemon main */
int main(void) { return 0; }
