//go:build !purego

#include "textflag.h"

// func classifyAVX2(p *byte, m *blockMasks)
//
// Sets m's masks for the 64 bytes at p: bit i of each mask describes p[i].
TEXT ·classifyAVX2(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ m+8(FP), DI

	VMOVDQU (SI), Y0
	VMOVDQU 32(SI), Y1

	// Broadcast the bytes to compare with.
	MOVL $0x22, AX // '"'
	VMOVD AX, X2
	VPBROADCASTB X2, Y2
	MOVL $0x5c, AX // '\\'
	VMOVD AX, X3
	VPBROADCASTB X3, Y3
	MOVL $0x20, AX // folds '[' into '{' and ']' into '}'
	VMOVD AX, X4
	VPBROADCASTB X4, Y4
	MOVL $0x7b, AX // '{'
	VMOVD AX, X5
	VPBROADCASTB X5, Y5
	MOVL $0x7d, AX // '}'
	VMOVD AX, X6
	VPBROADCASTB X6, Y6

	// Quotes.
	VPCMPEQB Y0, Y2, Y7
	VPMOVMSKB Y7, AX
	VPCMPEQB Y1, Y2, Y7
	VPMOVMSKB Y7, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, 0(DI)

	// Backslashes.
	VPCMPEQB Y0, Y3, Y7
	VPMOVMSKB Y7, AX
	VPCMPEQB Y1, Y3, Y7
	VPMOVMSKB Y7, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, 8(DI)

	// Opening and closing brackets: b|0x20 is '{' only for '{' and '[',
	// '}' only for '}' and ']'.
	VPOR Y0, Y4, Y0
	VPOR Y1, Y4, Y1
	VPCMPEQB Y0, Y5, Y7
	VPMOVMSKB Y7, AX
	VPCMPEQB Y1, Y5, Y7
	VPMOVMSKB Y7, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, 16(DI)

	VPCMPEQB Y0, Y6, Y7
	VPMOVMSKB Y7, AX
	VPCMPEQB Y1, Y6, Y7
	VPMOVMSKB Y7, BX
	SHLQ $32, BX
	ORQ BX, AX
	MOVQ AX, 24(DI)

	VZEROUPPER
	RET
