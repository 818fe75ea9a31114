//go:build !purego

#include "textflag.h"

// MOVEMASK sets R3 to the mask of the bytes of V0-V3 equal to those of
// cmp (a .B16 arrangement), weighting them by V9 and folding through
// V10-V13.
#define MOVEMASK(cmp) \
	VCMEQ V0.B16, cmp, V10.B16; \
	VCMEQ V1.B16, cmp, V11.B16; \
	VCMEQ V2.B16, cmp, V12.B16; \
	VCMEQ V3.B16, cmp, V13.B16; \
	VAND  V9.B16, V10.B16, V10.B16; \
	VAND  V9.B16, V11.B16, V11.B16; \
	VAND  V9.B16, V12.B16, V12.B16; \
	VAND  V9.B16, V13.B16, V13.B16; \
	VADDP V11.B16, V10.B16, V10.B16; \
	VADDP V13.B16, V12.B16, V12.B16; \
	VADDP V12.B16, V10.B16, V10.B16; \
	VADDP V10.B16, V10.B16, V10.B16; \
	VMOV  V10.D[0], R3

// func classifyNEON(p *byte, m *blockMasks)
//
// Sets m's masks for the 64 bytes at p: bit i of each mask describes p[i].
// NEON has no byte "move mask": each comparison's 0xff bytes are weighted
// 1, 2, 4 ... 128 within each eight, and pairwise additions fold the 64
// weights into one word.
TEXT ·classifyNEON(SB), NOSPLIT, $0-16
	MOVD p+0(FP), R0
	MOVD m+8(FP), R1
	VLD1 (R0), [V0.B16, V1.B16, V2.B16, V3.B16]

	MOVD $0x22, R2 // '"'
	VDUP R2, V4.B16
	MOVD $0x5c, R2 // '\\'
	VDUP R2, V5.B16
	MOVD $0x20, R2 // folds '[' into '{' and ']' into '}'
	VDUP R2, V6.B16
	MOVD $0x7b, R2 // '{'
	VDUP R2, V7.B16
	MOVD $0x7d, R2 // '}'
	VDUP R2, V8.B16
	MOVD $0x8040201008040201, R2 // the weights
	VMOV R2, V9.D[0]
	VMOV R2, V9.D[1]

	MOVEMASK(V4.B16) // quotes
	MOVD R3, 0(R1)
	MOVEMASK(V5.B16) // backslashes
	MOVD R3, 8(R1)

	// Opening and closing brackets: b|0x20 is '{' only for '{' and '[',
	// '}' only for '}' and ']'.
	VORR V6.B16, V0.B16, V0.B16
	VORR V6.B16, V1.B16, V1.B16
	VORR V6.B16, V2.B16, V2.B16
	VORR V6.B16, V3.B16, V3.B16
	MOVEMASK(V7.B16)
	MOVD R3, 16(R1)
	MOVEMASK(V8.B16)
	MOVD R3, 24(R1)
	RET
