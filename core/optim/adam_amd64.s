//go:build amd64 && !purego

#include "textflag.h"

// adamKernel's layout: b1, b2, eps, step, is2, decay float64 at 0..40, wd bool at 48.

// func adamAVX(w, g []float32, m, v []float64, k *adamKernel)
TEXT ·adamAVX(SB), NOSPLIT, $0-104
	MOVQ w_base+0(FP), DI
	MOVQ w_len+8(FP), CX
	MOVQ g_base+24(FP), SI
	MOVQ m_base+48(FP), DX
	MOVQ v_base+72(FP), R8
	MOVQ k+96(FP), R9

	VBROADCASTSD 0(R9), Y8   // b1
	VBROADCASTSD 8(R9), Y9   // b2
	VBROADCASTSD 16(R9), Y10 // eps
	VBROADCASTSD 24(R9), Y11 // step
	VBROADCASTSD 32(R9), Y12 // is2
	VBROADCASTSD 40(R9), Y13 // decay
	MOVBQZX      48(R9), R10 // wd

	// 1-b1 and 1-b2, computed as the scalar loop computes them.
	MOVQ         $0x3ff0000000000000, AX
	MOVQ         AX, X14
	VBROADCASTSD X14, Y14
	VSUBPD       Y9, Y14, Y15 // 1-b2
	VSUBPD       Y8, Y14, Y14 // 1-b1

	SHRQ $2, CX
	JZ   done

loop:
	VCVTPS2PD (SI), Y0     // g
	VMULPD    (DX), Y8, Y1 // b1*m
	VMULPD    Y0, Y14, Y2  // (1-b1)*g
	VADDPD    Y2, Y1, Y1   // m' = b1*m + (1-b1)*g
	VMOVUPD   Y1, (DX)
	VMULPD    Y0, Y15, Y3  // (1-b2)*g
	VMULPD    Y0, Y3, Y3   // (1-b2)*g*g
	VMULPD    (R8), Y9, Y4 // b2*v
	VADDPD    Y3, Y4, Y4   // v' = b2*v + (1-b2)*g*g
	VMOVUPD   Y4, (R8)
	VSQRTPD   Y4, Y5
	VMULPD    Y12, Y5, Y5  // sqrt(v')*is2
	VADDPD    Y10, Y5, Y5  // + eps
	VMULPD    Y1, Y11, Y6  // step*m'
	VDIVPD    Y5, Y6, Y6   // step*m' / (sqrt(v')*is2 + eps)
	VCVTPS2PD (DI), Y7     // w
	TESTQ     R10, R10
	JZ        nodecay
	VMULPD    Y13, Y7, Y7  // w*decay

nodecay:
	VSUBPD     Y6, Y7, Y7 // w - step*m'/(...)
	VCVTPD2PSY Y7, X7
	VMOVUPS    X7, (DI)
	ADDQ       $16, DI
	ADDQ       $16, SI
	ADDQ       $32, DX
	ADDQ       $32, R8
	DECQ       CX
	JNZ        loop

done:
	VZEROUPPER
	RET
