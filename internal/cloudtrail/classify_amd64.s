//go:build !purego

#include "textflag.h"

// MOVEMASK sets AX to the mask of the bytes of Y0 and Y1 (the block's two
// halves) equal to those of cmp, through Y7 and BX.
#define MOVEMASK(cmp) \
	VPCMPEQB  Y0, cmp, Y7; \
	VPMOVMSKB Y7, AX; \
	VPCMPEQB  Y1, cmp, Y7; \
	VPMOVMSKB Y7, BX; \
	SHLQ      $32, BX; \
	ORQ       BX, AX

// BROADCAST sets every byte of y to the byte b, through AX and x (the
// lower half of y).
#define BROADCAST(b, x, y) \
	MOVL         b, AX; \
	VMOVD        AX, x; \
	VPBROADCASTB x, y

// func classifyAVX2(p *byte, m *blockMasks)
//
// Sets m's masks for the 64 bytes at p: bit i of each mask describes p[i].
TEXT ·classifyAVX2(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ m+8(FP), DI

	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1

	BROADCAST($0x22, X2, Y2) // '"'
	BROADCAST($0x5c, X3, Y3) // '\\'
	BROADCAST($0x20, X4, Y4) // folds '[' into '{' and ']' into '}'
	BROADCAST($0x7b, X5, Y5) // '{'
	BROADCAST($0x7d, X6, Y6) // '}'

	MOVEMASK(Y2) // quotes
	MOVQ AX, 0(DI)
	MOVEMASK(Y3) // backslashes
	MOVQ AX, 8(DI)

	// Opening and closing brackets: b|0x20 is '{' only for '{' and '[',
	// '}' only for '}' and ']'.
	VPOR Y0, Y4, Y0
	VPOR Y1, Y4, Y1
	MOVEMASK(Y5)
	MOVQ AX, 16(DI)
	MOVEMASK(Y6)
	MOVQ AX, 24(DI)

	VZEROUPPER
	RET
