FROM scratch AS u0
COPY a.txt /u0
FROM scratch AS u1
COPY a.txt /u1
FROM scratch AS u2
COPY a.txt /u2
FROM scratch AS u3
COPY a.txt /u3
FROM scratch AS u4
COPY a.txt /u4
FROM scratch AS u5
COPY a.txt /u5
FROM scratch AS u6
COPY a.txt /u6
FROM scratch AS u7
COPY a.txt /u7
FROM scratch AS u8
COPY a.txt /u8
FROM scratch AS u9
COPY a.txt /u9
FROM scratch AS u10
COPY a.txt /u10
FROM scratch AS u11
COPY a.txt /u11
FROM scratch AS u12
COPY a.txt /u12
FROM scratch AS u13
COPY a.txt /u13
FROM scratch AS u14
COPY a.txt /u14
FROM scratch AS u15
COPY a.txt /u15
FROM scratch AS u16
COPY a.txt /u16
FROM scratch AS u17
COPY a.txt /u17
FROM scratch AS u18
COPY a.txt /u18
FROM scratch AS u19
COPY a.txt /u19
FROM scratch AS u20
COPY a.txt /u20
FROM scratch AS u21
COPY a.txt /u21
FROM scratch AS u22
COPY a.txt /u22
FROM scratch AS u23
COPY a.txt /u23
FROM scratch AS u24
COPY a.txt /u24
FROM scratch AS u25
COPY a.txt /u25
FROM scratch AS u26
COPY a.txt /u26
FROM scratch AS u27
COPY a.txt /u27
FROM scratch AS u28
COPY a.txt /u28
FROM scratch AS u29
COPY a.txt /u29
FROM scratch AS u30
COPY a.txt /u30
FROM scratch AS u31
COPY a.txt /u31
FROM scratch AS u32
COPY a.txt /u32
FROM scratch AS u33
COPY a.txt /u33
FROM scratch AS u34
COPY a.txt /u34
FROM scratch AS u35
COPY a.txt /u35
FROM scratch AS u36
COPY a.txt /u36
FROM scratch AS u37
COPY a.txt /u37
FROM scratch AS u38
COPY a.txt /u38
FROM scratch AS u39
COPY a.txt /u39
FROM scratch AS u40
COPY a.txt /u40
FROM scratch AS u41
COPY a.txt /u41
FROM scratch AS u42
COPY a.txt /u42
FROM scratch AS u43
COPY a.txt /u43
FROM scratch AS u44
COPY a.txt /u44
FROM scratch AS u45
COPY a.txt /u45
FROM scratch AS u46
COPY a.txt /u46
FROM scratch AS u47
COPY a.txt /u47
FROM scratch AS u48
COPY a.txt /u48
FROM scratch AS u49
COPY a.txt /u49
FROM scratch AS u50
COPY a.txt /u50
FROM scratch AS u51
COPY a.txt /u51
FROM scratch AS u52
COPY a.txt /u52
FROM scratch AS u53
COPY a.txt /u53
FROM scratch AS u54
COPY a.txt /u54
FROM scratch AS u55
COPY a.txt /u55
FROM scratch AS u56
COPY a.txt /u56
FROM scratch AS u57
COPY a.txt /u57
FROM scratch AS u58
COPY a.txt /u58
FROM scratch AS u59
COPY a.txt /u59
FROM scratch AS u60
COPY a.txt /u60
FROM scratch AS u61
COPY a.txt /u61
FROM scratch AS u62
COPY a.txt /u62
FROM scratch AS u63
COPY a.txt /u63
FROM scratch AS u64
COPY a.txt /u64
FROM scratch AS u65
COPY a.txt /u65
FROM scratch AS u66
COPY a.txt /u66
FROM scratch AS u67
COPY a.txt /u67
FROM scratch AS u68
COPY a.txt /u68
FROM scratch AS u69
COPY a.txt /u69
FROM scratch AS u70
COPY a.txt /u70
FROM scratch AS u71
COPY a.txt /u71
FROM scratch AS u72
COPY a.txt /u72
FROM scratch AS u73
COPY a.txt /u73
FROM scratch AS u74
COPY a.txt /u74
FROM scratch AS u75
COPY a.txt /u75
FROM scratch AS u76
COPY a.txt /u76
FROM scratch AS u77
COPY a.txt /u77
FROM scratch AS u78
COPY a.txt /u78
FROM scratch AS u79
COPY a.txt /u79
FROM scratch AS u80
COPY a.txt /u80
FROM scratch AS u81
COPY a.txt /u81
FROM scratch AS u82
COPY a.txt /u82
FROM scratch AS u83
COPY a.txt /u83
FROM scratch AS u84
COPY a.txt /u84
FROM scratch AS u85
COPY a.txt /u85
FROM scratch AS u86
COPY a.txt /u86
FROM scratch AS u87
COPY a.txt /u87
FROM scratch AS u88
COPY a.txt /u88
FROM scratch AS u89
COPY a.txt /u89
FROM scratch AS u90
COPY a.txt /u90
FROM scratch AS u91
COPY a.txt /u91
FROM scratch AS u92
COPY a.txt /u92
FROM scratch AS u93
COPY a.txt /u93
FROM scratch AS u94
COPY a.txt /u94
FROM scratch AS u95
COPY a.txt /u95
FROM scratch AS u96
COPY a.txt /u96
FROM scratch AS u97
COPY a.txt /u97
FROM scratch AS u98
COPY a.txt /u98
FROM scratch AS u99
COPY a.txt /u99
FROM scratch AS u100
COPY a.txt /u100
FROM scratch AS u101
COPY a.txt /u101
FROM scratch AS u102
COPY a.txt /u102
FROM scratch AS u103
COPY a.txt /u103
FROM scratch AS u104
COPY a.txt /u104
FROM scratch AS u105
COPY a.txt /u105
FROM scratch AS u106
COPY a.txt /u106
FROM scratch AS u107
COPY a.txt /u107
FROM scratch AS u108
COPY a.txt /u108
FROM scratch AS u109
COPY a.txt /u109
FROM scratch AS u110
COPY a.txt /u110
FROM scratch AS u111
COPY a.txt /u111
FROM scratch AS u112
COPY a.txt /u112
FROM scratch AS u113
COPY a.txt /u113
FROM scratch AS u114
COPY a.txt /u114
FROM scratch AS u115
COPY a.txt /u115
FROM scratch AS u116
COPY a.txt /u116
FROM scratch AS u117
COPY a.txt /u117
FROM scratch AS u118
COPY a.txt /u118
FROM scratch AS u119
COPY a.txt /u119
FROM scratch AS u120
COPY a.txt /u120
FROM scratch AS u121
COPY a.txt /u121
FROM scratch AS u122
COPY a.txt /u122
FROM scratch AS u123
COPY a.txt /u123
FROM scratch AS u124
COPY a.txt /u124
FROM scratch AS u125
COPY a.txt /u125
FROM scratch AS u126
COPY a.txt /u126
FROM scratch AS u127
COPY a.txt /u127
FROM scratch AS u128
COPY a.txt /u128
FROM scratch AS u129
COPY a.txt /u129
FROM scratch AS u130
COPY a.txt /u130
FROM scratch AS u131
COPY a.txt /u131
FROM scratch AS u132
COPY a.txt /u132
FROM scratch AS u133
COPY a.txt /u133
FROM scratch AS u134
COPY a.txt /u134
FROM scratch AS u135
COPY a.txt /u135
FROM scratch AS u136
COPY a.txt /u136
FROM scratch AS u137
COPY a.txt /u137
FROM scratch AS u138
COPY a.txt /u138
FROM scratch AS u139
COPY a.txt /u139
FROM scratch AS u140
COPY a.txt /u140
FROM scratch AS u141
COPY a.txt /u141
FROM scratch AS u142
COPY a.txt /u142
FROM scratch AS u143
COPY a.txt /u143
FROM scratch AS u144
COPY a.txt /u144
FROM scratch AS u145
COPY a.txt /u145
FROM scratch AS u146
COPY a.txt /u146
FROM scratch AS u147
COPY a.txt /u147
FROM scratch AS u148
COPY a.txt /u148
FROM scratch AS u149
COPY a.txt /u149
FROM scratch AS u150
COPY a.txt /u150
FROM scratch AS u151
COPY a.txt /u151
FROM scratch AS u152
COPY a.txt /u152
FROM scratch AS u153
COPY a.txt /u153
FROM scratch AS u154
COPY a.txt /u154
FROM scratch AS u155
COPY a.txt /u155
FROM scratch AS u156
COPY a.txt /u156
FROM scratch AS u157
COPY a.txt /u157
FROM scratch AS u158
COPY a.txt /u158
FROM scratch AS u159
COPY a.txt /u159
FROM scratch AS u160
COPY a.txt /u160
FROM scratch AS u161
COPY a.txt /u161
FROM scratch AS u162
COPY a.txt /u162
FROM scratch AS u163
COPY a.txt /u163
FROM scratch AS u164
COPY a.txt /u164
FROM scratch AS u165
COPY a.txt /u165
FROM scratch AS u166
COPY a.txt /u166
FROM scratch AS u167
COPY a.txt /u167
FROM scratch AS u168
COPY a.txt /u168
FROM scratch AS u169
COPY a.txt /u169
FROM scratch AS u170
COPY a.txt /u170
FROM scratch AS u171
COPY a.txt /u171
FROM scratch AS u172
COPY a.txt /u172
FROM scratch AS u173
COPY a.txt /u173
FROM scratch AS u174
COPY a.txt /u174
FROM scratch AS u175
COPY a.txt /u175
FROM scratch AS u176
COPY a.txt /u176
FROM scratch AS u177
COPY a.txt /u177
FROM scratch AS u178
COPY a.txt /u178
FROM scratch AS u179
COPY a.txt /u179
FROM scratch AS u180
COPY a.txt /u180
FROM scratch AS u181
COPY a.txt /u181
FROM scratch AS u182
COPY a.txt /u182
FROM scratch AS u183
COPY a.txt /u183
FROM scratch AS u184
COPY a.txt /u184
FROM scratch AS u185
COPY a.txt /u185
FROM scratch AS u186
COPY a.txt /u186
FROM scratch AS u187
COPY a.txt /u187
FROM scratch AS u188
COPY a.txt /u188
FROM scratch AS u189
COPY a.txt /u189
FROM scratch AS u190
COPY a.txt /u190
FROM scratch AS u191
COPY a.txt /u191
FROM scratch AS u192
COPY a.txt /u192
FROM scratch AS u193
COPY a.txt /u193
FROM scratch AS u194
COPY a.txt /u194
FROM scratch AS u195
COPY a.txt /u195
FROM scratch AS u196
COPY a.txt /u196
FROM scratch AS u197
COPY a.txt /u197
FROM scratch AS u198
COPY a.txt /u198
FROM scratch AS u199
COPY a.txt /u199
FROM scratch AS u200
COPY a.txt /u200
FROM scratch AS u201
COPY a.txt /u201
FROM scratch AS u202
COPY a.txt /u202
FROM scratch AS u203
COPY a.txt /u203
FROM scratch AS u204
COPY a.txt /u204
FROM scratch AS u205
COPY a.txt /u205
FROM scratch AS u206
COPY a.txt /u206
FROM scratch AS u207
COPY a.txt /u207
FROM scratch AS u208
COPY a.txt /u208
FROM scratch AS u209
COPY a.txt /u209
FROM scratch AS u210
COPY a.txt /u210
FROM scratch AS u211
COPY a.txt /u211
FROM scratch AS u212
COPY a.txt /u212
FROM scratch AS u213
COPY a.txt /u213
FROM scratch AS u214
COPY a.txt /u214
FROM scratch AS u215
COPY a.txt /u215
FROM scratch AS u216
COPY a.txt /u216
FROM scratch AS u217
COPY a.txt /u217
FROM scratch AS u218
COPY a.txt /u218
FROM scratch AS u219
COPY a.txt /u219
FROM scratch AS u220
COPY a.txt /u220
FROM scratch AS u221
COPY a.txt /u221
FROM scratch AS u222
COPY a.txt /u222
FROM scratch AS u223
COPY a.txt /u223
FROM scratch AS u224
COPY a.txt /u224
FROM scratch AS u225
COPY a.txt /u225
FROM scratch AS u226
COPY a.txt /u226
FROM scratch AS u227
COPY a.txt /u227
FROM scratch AS u228
COPY a.txt /u228
FROM scratch AS u229
COPY a.txt /u229
FROM scratch AS u230
COPY a.txt /u230
FROM scratch AS u231
COPY a.txt /u231
FROM scratch AS u232
COPY a.txt /u232
FROM scratch AS u233
COPY a.txt /u233
FROM scratch AS u234
COPY a.txt /u234
FROM scratch AS u235
COPY a.txt /u235
FROM scratch AS u236
COPY a.txt /u236
FROM scratch AS u237
COPY a.txt /u237
FROM scratch AS u238
COPY a.txt /u238
FROM scratch AS u239
COPY a.txt /u239
FROM scratch AS u240
COPY a.txt /u240
FROM scratch AS u241
COPY a.txt /u241
FROM scratch AS u242
COPY a.txt /u242
FROM scratch AS u243
COPY a.txt /u243
FROM scratch AS u244
COPY a.txt /u244
FROM scratch AS u245
COPY a.txt /u245
FROM scratch AS u246
COPY a.txt /u246
FROM scratch AS u247
COPY a.txt /u247
FROM scratch AS u248
COPY a.txt /u248
FROM scratch AS u249
COPY a.txt /u249
FROM scratch AS u250
COPY a.txt /u250
FROM scratch AS u251
COPY a.txt /u251
FROM scratch AS u252
COPY a.txt /u252
FROM scratch AS u253
COPY a.txt /u253
FROM scratch AS u254
COPY a.txt /u254
FROM scratch AS u255
COPY a.txt /u255
FROM scratch AS u256
COPY a.txt /u256
FROM scratch AS u257
COPY a.txt /u257
FROM scratch AS u258
COPY a.txt /u258
FROM scratch AS u259
COPY a.txt /u259
FROM scratch AS u260
COPY a.txt /u260
FROM scratch AS u261
COPY a.txt /u261
FROM scratch AS u262
COPY a.txt /u262
FROM scratch AS u263
COPY a.txt /u263
FROM scratch AS u264
COPY a.txt /u264
FROM scratch AS u265
COPY a.txt /u265
FROM scratch AS u266
COPY a.txt /u266
FROM scratch AS u267
COPY a.txt /u267
FROM scratch AS u268
COPY a.txt /u268
FROM scratch AS u269
COPY a.txt /u269
FROM scratch AS u270
COPY a.txt /u270
FROM scratch AS u271
COPY a.txt /u271
FROM scratch AS u272
COPY a.txt /u272
FROM scratch AS u273
COPY a.txt /u273
FROM scratch AS u274
COPY a.txt /u274
FROM scratch AS u275
COPY a.txt /u275
FROM scratch AS u276
COPY a.txt /u276
FROM scratch AS u277
COPY a.txt /u277
FROM scratch AS u278
COPY a.txt /u278
FROM scratch AS u279
COPY a.txt /u279
FROM scratch AS u280
COPY a.txt /u280
FROM scratch AS u281
COPY a.txt /u281
FROM scratch AS u282
COPY a.txt /u282
FROM scratch AS u283
COPY a.txt /u283
FROM scratch AS u284
COPY a.txt /u284
FROM scratch AS u285
COPY a.txt /u285
FROM scratch AS u286
COPY a.txt /u286
FROM scratch AS u287
COPY a.txt /u287
FROM scratch AS u288
COPY a.txt /u288
FROM scratch AS u289
COPY a.txt /u289
FROM scratch AS u290
COPY a.txt /u290
FROM scratch AS u291
COPY a.txt /u291
FROM scratch AS u292
COPY a.txt /u292
FROM scratch AS u293
COPY a.txt /u293
FROM scratch AS u294
COPY a.txt /u294
FROM scratch AS u295
COPY a.txt /u295
FROM scratch AS u296
COPY a.txt /u296
FROM scratch AS u297
COPY a.txt /u297
FROM scratch AS u298
COPY a.txt /u298
FROM scratch AS u299
COPY a.txt /u299
FROM scratch AS u300
COPY a.txt /u300
FROM scratch AS u301
COPY a.txt /u301
FROM scratch AS u302
COPY a.txt /u302
FROM scratch AS u303
COPY a.txt /u303
FROM scratch AS u304
COPY a.txt /u304
FROM scratch AS u305
COPY a.txt /u305
FROM scratch AS u306
COPY a.txt /u306
FROM scratch AS u307
COPY a.txt /u307
FROM scratch AS u308
COPY a.txt /u308
FROM scratch AS u309
COPY a.txt /u309
FROM scratch AS u310
COPY a.txt /u310
FROM scratch AS u311
COPY a.txt /u311
FROM scratch AS u312
COPY a.txt /u312
FROM scratch AS u313
COPY a.txt /u313
FROM scratch AS u314
COPY a.txt /u314
FROM scratch AS u315
COPY a.txt /u315
FROM scratch AS u316
COPY a.txt /u316
FROM scratch AS u317
COPY a.txt /u317
FROM scratch AS u318
COPY a.txt /u318
FROM scratch AS u319
COPY a.txt /u319
FROM scratch AS u320
COPY a.txt /u320
FROM scratch AS u321
COPY a.txt /u321
FROM scratch AS u322
COPY a.txt /u322
FROM scratch AS u323
COPY a.txt /u323
FROM scratch AS u324
COPY a.txt /u324
FROM scratch AS u325
COPY a.txt /u325
FROM scratch AS u326
COPY a.txt /u326
FROM scratch AS u327
COPY a.txt /u327
FROM scratch AS u328
COPY a.txt /u328
FROM scratch AS u329
COPY a.txt /u329
FROM scratch AS u330
COPY a.txt /u330
FROM scratch AS u331
COPY a.txt /u331
FROM scratch AS u332
COPY a.txt /u332
FROM scratch AS u333
COPY a.txt /u333
FROM scratch AS u334
COPY a.txt /u334
FROM scratch AS u335
COPY a.txt /u335
FROM scratch AS u336
COPY a.txt /u336
FROM scratch AS u337
COPY a.txt /u337
FROM scratch AS u338
COPY a.txt /u338
FROM scratch AS u339
COPY a.txt /u339
FROM scratch AS u340
COPY a.txt /u340
FROM scratch AS u341
COPY a.txt /u341
FROM scratch AS u342
COPY a.txt /u342
FROM scratch AS u343
COPY a.txt /u343
FROM scratch AS u344
COPY a.txt /u344
FROM scratch AS u345
COPY a.txt /u345
FROM scratch AS u346
COPY a.txt /u346
FROM scratch AS u347
COPY a.txt /u347
FROM scratch AS u348
COPY a.txt /u348
FROM scratch AS u349
COPY a.txt /u349
FROM scratch AS u350
COPY a.txt /u350
FROM scratch AS u351
COPY a.txt /u351
FROM scratch AS u352
COPY a.txt /u352
FROM scratch AS u353
COPY a.txt /u353
FROM scratch AS u354
COPY a.txt /u354
FROM scratch AS u355
COPY a.txt /u355
FROM scratch AS u356
COPY a.txt /u356
FROM scratch AS u357
COPY a.txt /u357
FROM scratch AS u358
COPY a.txt /u358
FROM scratch AS u359
COPY a.txt /u359
FROM scratch AS u360
COPY a.txt /u360
FROM scratch AS u361
COPY a.txt /u361
FROM scratch AS u362
COPY a.txt /u362
FROM scratch AS u363
COPY a.txt /u363
FROM scratch AS u364
COPY a.txt /u364
FROM scratch AS u365
COPY a.txt /u365
FROM scratch AS u366
COPY a.txt /u366
FROM scratch AS u367
COPY a.txt /u367
FROM scratch AS u368
COPY a.txt /u368
FROM scratch AS u369
COPY a.txt /u369
FROM scratch AS u370
COPY a.txt /u370
FROM scratch AS u371
COPY a.txt /u371
FROM scratch AS u372
COPY a.txt /u372
FROM scratch AS u373
COPY a.txt /u373
FROM scratch AS u374
COPY a.txt /u374
FROM scratch AS u375
COPY a.txt /u375
FROM scratch AS u376
COPY a.txt /u376
FROM scratch AS u377
COPY a.txt /u377
FROM scratch AS u378
COPY a.txt /u378
FROM scratch AS u379
COPY a.txt /u379
FROM scratch AS u380
COPY a.txt /u380
FROM scratch AS u381
COPY a.txt /u381
FROM scratch AS u382
COPY a.txt /u382
FROM scratch AS u383
COPY a.txt /u383
FROM scratch AS u384
COPY a.txt /u384
FROM scratch AS u385
COPY a.txt /u385
FROM scratch AS u386
COPY a.txt /u386
FROM scratch AS u387
COPY a.txt /u387
FROM scratch AS u388
COPY a.txt /u388
FROM scratch AS u389
COPY a.txt /u389
FROM scratch AS u390
COPY a.txt /u390
FROM scratch AS u391
COPY a.txt /u391
FROM scratch AS u392
COPY a.txt /u392
FROM scratch AS u393
COPY a.txt /u393
FROM scratch AS u394
COPY a.txt /u394
FROM scratch AS u395
COPY a.txt /u395
FROM scratch AS u396
COPY a.txt /u396
FROM scratch AS u397
COPY a.txt /u397
FROM scratch AS u398
COPY a.txt /u398
FROM scratch AS u399
COPY a.txt /u399
FROM scratch AS u400
COPY a.txt /u400
FROM scratch AS u401
COPY a.txt /u401
FROM scratch AS u402
COPY a.txt /u402
FROM scratch AS u403
COPY a.txt /u403
FROM scratch AS u404
COPY a.txt /u404
FROM scratch AS u405
COPY a.txt /u405
FROM scratch AS u406
COPY a.txt /u406
FROM scratch AS u407
COPY a.txt /u407
FROM scratch AS u408
COPY a.txt /u408
FROM scratch AS u409
COPY a.txt /u409
FROM scratch AS u410
COPY a.txt /u410
FROM scratch AS u411
COPY a.txt /u411
FROM scratch AS u412
COPY a.txt /u412
FROM scratch AS u413
COPY a.txt /u413
FROM scratch AS u414
COPY a.txt /u414
FROM scratch AS u415
COPY a.txt /u415
FROM scratch AS u416
COPY a.txt /u416
FROM scratch AS u417
COPY a.txt /u417
FROM scratch AS u418
COPY a.txt /u418
FROM scratch AS u419
COPY a.txt /u419
FROM scratch AS u420
COPY a.txt /u420
FROM scratch AS u421
COPY a.txt /u421
FROM scratch AS u422
COPY a.txt /u422
FROM scratch AS u423
COPY a.txt /u423
FROM scratch AS u424
COPY a.txt /u424
FROM scratch AS u425
COPY a.txt /u425
FROM scratch AS u426
COPY a.txt /u426
FROM scratch AS u427
COPY a.txt /u427
FROM scratch AS u428
COPY a.txt /u428
FROM scratch AS u429
COPY a.txt /u429
FROM scratch AS u430
COPY a.txt /u430
FROM scratch AS u431
COPY a.txt /u431
FROM scratch AS u432
COPY a.txt /u432
FROM scratch AS u433
COPY a.txt /u433
FROM scratch AS u434
COPY a.txt /u434
FROM scratch AS u435
COPY a.txt /u435
FROM scratch AS u436
COPY a.txt /u436
FROM scratch AS u437
COPY a.txt /u437
FROM scratch AS u438
COPY a.txt /u438
FROM scratch AS u439
COPY a.txt /u439
FROM scratch AS u440
COPY a.txt /u440
FROM scratch AS u441
COPY a.txt /u441
FROM scratch AS u442
COPY a.txt /u442
FROM scratch AS u443
COPY a.txt /u443
FROM scratch AS u444
COPY a.txt /u444
FROM scratch AS u445
COPY a.txt /u445
FROM scratch AS u446
COPY a.txt /u446
FROM scratch AS u447
COPY a.txt /u447
FROM scratch AS u448
COPY a.txt /u448
FROM scratch AS u449
COPY a.txt /u449
FROM scratch AS u450
COPY a.txt /u450
FROM scratch AS u451
COPY a.txt /u451
FROM scratch AS u452
COPY a.txt /u452
FROM scratch AS u453
COPY a.txt /u453
FROM scratch AS u454
COPY a.txt /u454
FROM scratch AS u455
COPY a.txt /u455
FROM scratch AS u456
COPY a.txt /u456
FROM scratch AS u457
COPY a.txt /u457
FROM scratch AS u458
COPY a.txt /u458
FROM scratch AS u459
COPY a.txt /u459
FROM scratch AS u460
COPY a.txt /u460
FROM scratch AS u461
COPY a.txt /u461
FROM scratch AS u462
COPY a.txt /u462
FROM scratch AS u463
COPY a.txt /u463
FROM scratch AS u464
COPY a.txt /u464
FROM scratch AS u465
COPY a.txt /u465
FROM scratch AS u466
COPY a.txt /u466
FROM scratch AS u467
COPY a.txt /u467
FROM scratch AS u468
COPY a.txt /u468
FROM scratch AS u469
COPY a.txt /u469
FROM scratch AS u470
COPY a.txt /u470
FROM scratch AS u471
COPY a.txt /u471
FROM scratch AS u472
COPY a.txt /u472
FROM scratch AS u473
COPY a.txt /u473
FROM scratch AS u474
COPY a.txt /u474
FROM scratch AS u475
COPY a.txt /u475
FROM scratch AS u476
COPY a.txt /u476
FROM scratch AS u477
COPY a.txt /u477
FROM scratch AS u478
COPY a.txt /u478
FROM scratch AS u479
COPY a.txt /u479
FROM scratch AS u480
COPY a.txt /u480
FROM scratch AS u481
COPY a.txt /u481
FROM scratch AS u482
COPY a.txt /u482
FROM scratch AS u483
COPY a.txt /u483
FROM scratch AS u484
COPY a.txt /u484
FROM scratch AS u485
COPY a.txt /u485
FROM scratch AS u486
COPY a.txt /u486
FROM scratch AS u487
COPY a.txt /u487
FROM scratch AS u488
COPY a.txt /u488
FROM scratch AS u489
COPY a.txt /u489
FROM scratch AS u490
COPY a.txt /u490
FROM scratch AS u491
COPY a.txt /u491
FROM scratch AS u492
COPY a.txt /u492
FROM scratch AS u493
COPY a.txt /u493
FROM scratch AS u494
COPY a.txt /u494
FROM scratch AS u495
COPY a.txt /u495
FROM scratch AS u496
COPY a.txt /u496
FROM scratch AS u497
COPY a.txt /u497
FROM scratch AS u498
COPY a.txt /u498
FROM scratch AS u499
COPY a.txt /u499
FROM scratch
COPY b.txt /b.txt
